/**
 * A whole stack (staging or production, from its own stack file) under the real engine and the
 * real Kubernetes provider plugin, against the run's shared control plane (or one of the suite's
 * own: test/helpers/shared-control-plane.ts) whose pods run as processes
 * (test/helpers/pod-agent.ts). The provider finds the control plane as a user's finds theirs:
 * through KUBECONFIG. Each stack has a namespace of its own, named after its suite and stack
 * (`faults-production`), and its pod agent runs only that namespace's pods. Only addresses and
 * the namespace are overridden: `event-bus:nats.servers` names the loopback ports the NATS pods
 * will listen on; and the Prometheus operator's objects are left out (its CRDs are not available
 * here).
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as bcrypt from "bcryptjs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_REPLICAS, type Environment } from "../../components/config/stack-config";
import { EVENT_BUS_LAYOUT } from "../../components/kubernetes/nats-layout";
import { externalPasswordSecretName } from "../../components/kubernetes/nats-users";
import { stackFileConfig } from "../../scripts/stack-file";
import { prepareProject } from "../../scripts/lib/pulumi-project";
import { makeCerts, type TestCerts } from "./tls-certs";
import { engineStack, type EngineStack } from "./engine";
import type { KubeCluster } from "./kube-cluster";
import { PodAgent, STOPPED_ANNOTATION } from "./pod-agent";
import { controlPlane } from "./shared-control-plane";

export interface KubeStack {
  cluster: KubeCluster & { kubeconfig: string };
  agent: PodAgent;
  stack: EngineStack;
  namespace: string;
  /** Whether it runs on the run's shared control plane (else on one of its own, stopped with it). */
  shared: boolean;
  /** The NATS pods' client URLs (what the stack's providers connect to). */
  natsUrls: string[];
  /** The NATS pods' monitoring URLs (their port 8222). */
  natsMonitorUrls: string[];
  /**
   * The passwords the stack file keeps out of the stack (its kubernetes.nats.passwordHashes), made
   * for this stack as `npm run nats-password` makes them: the admin's is in the stack's CLI
   * environment (event-bus:nats.passwordEnv), as a deploy job's; the preview user's is not (a test
   * sets it to preview as a pull request's job does).
   */
  passwords: { admin: string; preview: string; system: string } & Partial<Record<"ingest" | "normalize", string>>;
  /**
   * The CA of the NATS servers' certificate, when they require TLS (event-bus:nats.tls.ca, a file):
   * what a test's own clients (nats.js, the `nats` CLI's --tlsca) need to reach them. Unset while
   * the servers speak plain (no TLS, or kubernetes.nats.tls.stage "trust").
   */
  caFile?: string;
  /** The environment of a pull request's preview job: the preview user's password, and the admin's empty (as GitHub gives a secret a job's environment does not have). */
  asPreview: Record<string, string>;
  /**
   * Rewrites the stack file: the repository's, with the harness's overrides and these (their
   * `kubernetes` keys merged into the stack file's), as a pull request changes it.
   */
  configure(overrides: Record<string, unknown>): void;
  stop(): Promise<void>;
}

/**
 * Starts a control plane and a pod agent and lays out the stack. `kubernetes` overrides keys of
 * the stack file's `event-bus:kubernetes`; `namespaceExists` creates the namespace beforehand (with
 * the labels given), as a cluster a team already runs has it; `natsStatefulSet` names a live NATS StatefulSet laid out
 * otherwise than the stack's own (its pods get the reserved ports).
 */
export async function kubeStack(
  name: "staging" | "production",
  opts: {
    overrides?: Record<string, unknown>;
    kubernetes?: Record<string, unknown>;
    namespaceExists?: boolean | { labels: Record<string, string> };
    agentEnv?: Record<string, string>;
    natsStatefulSet?: string;
    /** The admin password a live cluster has today, carried over (its hash into the stack file, it into the environment). */
    adminPassword?: string;
    /** The system account, with its user's password made here too (a cluster the stack creates). */
    systemAccount?: boolean;
    /**
     * Services whose passwords the suite carries over (event-bus:natsUserPasswords): their hashes
     * leave the stack file, as the runbook's takeover says. The others' passwords, when the stack
     * file keeps them out of the stack, are made here with the Secrets their owners make.
     */
    carried?: Array<"ingest" | "normalize">;
  } = {},
): Promise<KubeStack> {
  const file = stackFileConfig(name);
  const fileNats = file.nats as { user: string; passwordEnv: string; preview: { passwordEnv: string } };
  const fileKube = file.kubernetes as Record<string, unknown>;
  const fileHashes = ((fileKube.nats as { passwordHashes?: Record<string, string> } | undefined)?.passwordHashes ?? {}) as Record<string, string>;
  const outside = (["ingest", "normalize"] as const).filter((u) => fileHashes[u] && !opts.carried?.includes(u));
  const passwords: KubeStack["passwords"] = {
    admin: opts.adminPassword ?? randomBytes(24).toString("hex"),
    preview: randomBytes(24).toString("hex"),
    system: randomBytes(24).toString("hex"),
    ...Object.fromEntries(outside.map((u) => [u, randomBytes(24).toString("hex")])),
  };
  const passwordHashes = {
    admin: bcrypt.hashSync(passwords.admin, 10),
    preview: bcrypt.hashSync(passwords.preview, 10),
    ...(opts.systemAccount ? { system: bcrypt.hashSync(passwords.system, 10) } : {}),
    ...Object.fromEntries(outside.map((u) => [u, bcrypt.hashSync(passwords[u]!, 10)])),
  };
  const namespace = suiteNamespace(name);
  const k: Record<string, unknown> = { ...fileKube, prometheusOperator: false, ...opts.kubernetes, namespace, nats: { ...(fileKube.nats as object), ...(opts.kubernetes?.nats as object) } };
  // The servers' TLS Secret (production's stack file names one), made here as its owners make it,
  // unless the suite brings a CA of its own: the Secret in the namespace, the CA for the providers.
  const tls = [k, opts.overrides?.kubernetes as Record<string, unknown> | undefined].reduce<{ secretName: string; stage?: string } | undefined>((t, l) => ((l?.nats as { tls?: never } | undefined)?.tls ?? t), undefined);
  const givenCa = (opts.overrides?.nats as { tls?: { ca?: string } } | undefined)?.tls?.ca;
  const certs: TestCerts | undefined = tls && !givenCa ? makeCerts(namespace) : undefined;
  const caFile = tls && (tls.stage ?? "on") === "on" ? (givenCa ?? certs?.caFile) : undefined;
  const natsReplicas = ((k.nats as { replicas?: number } | undefined)?.replicas ?? DEFAULT_REPLICAS[file.environment as Environment]) as number;
  const { cluster, owned } = await controlPlane();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `event-bus-pods-${namespace}-`));
  const agent = new PodAgent(cluster, namespace, dir, opts.agentEnv);
  const release = async () => {
    certs?.remove();
    await agent.stop();
    if (owned) await cluster.stop();
    else await releaseNamespace(cluster, namespace);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let stack: EngineStack | undefined;
  try {
    const ports = await agent.reserveNatsPorts(namespace, opts.natsStatefulSet ?? EVENT_BUS_LAYOUT.statefulSet, natsReplicas);
    const natsUrls = ports.map((p) => `nats://127.0.0.1:${p.client}`);
    agent.start();
    if (opts.namespaceExists) {
      const labels = typeof opts.namespaceExists === "object" ? opts.namespaceExists.labels : undefined;
      await cluster.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, ...(labels ? { labels } : {}) } });
    }
    if (certs) {
      if (!opts.namespaceExists) throw new Error(`kubeStack: the TLS Secret ${tls!.secretName} needs the namespace beforehand (namespaceExists)`);
      await cluster.apply({ apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls", metadata: { name: tls!.secretName, namespace }, data: certs.secretData });
    }
    // The services' Secrets, as their owners make them (`npm run nats-password -- <user>`), when the stack file keeps their passwords out of the stack.
    for (const u of outside) {
      if (!opts.namespaceExists) throw new Error(`kubeStack: the Secret of ${u}'s password needs the namespace beforehand (namespaceExists)`);
      await cluster.apply({ apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: { name: externalPasswordSecretName({ name: u }), namespace }, data: { password: Buffer.from(passwords[u]!).toString("base64") } });
    }
    const overridesWith = (extra: Record<string, unknown>) => {
      const { kubernetes: ek, ...rest } = { ...opts.overrides, ...extra };
      const layers = [k, opts.overrides?.kubernetes, ek] as Array<Record<string, unknown> | undefined>;
      // `kubernetes.nats` is merged a level deeper: a step's passwordSlots keep the suite's tls.
      const kube: Record<string, unknown> = Object.assign({}, ...layers, { nats: Object.assign({}, ...layers.map((l) => l?.nats)) });
      const { nats: natsOverrides, ...others } = rest as { nats?: object };
      // The hashes of the passwords made here, and those a step adds (a slot's new password).
      const stepHashes = (ek as { nats?: { passwordHashes?: object } } | undefined)?.nats?.passwordHashes;
      return { nats: { ...fileNats, servers: natsUrls, ...(certs ? { tls: { ca: certs.caFile } } : {}), ...natsOverrides }, ...others, kubernetes: { ...kube, nats: { ...(kube.nats as object), passwordHashes: { ...passwordHashes, ...stepHashes } } } };
    };
    stack = await engineStack(name, { overrides: overridesWith({}) });
    stack.env.KUBECONFIG = cluster.kubeconfig;
    stack.env[fileNats.passwordEnv] = passwords.admin;
    const s = stack;
    return {
      cluster,
      agent,
      stack: s,
      namespace,
      shared: !owned,
      natsUrls,
      natsMonitorUrls: ports.map((p) => `http://127.0.0.1:${p.monitor}`),
      passwords,
      caFile,
      asPreview: { [fileNats.passwordEnv]: "", [fileNats.preview.passwordEnv]: passwords.preview },
      configure: (extra) => void prepareProject({ dir: s.dir, stack: name, overrides: overridesWith(extra) }),
      async stop() {
        s.remove();
        await release();
      },
    };
  } catch (e) {
    stack?.remove();
    await release();
    throw e;
  }
}

const namesTaken = new Set<string>();

/**
 * A namespace of the running suite's own on the shared control plane: its file's first name and
 * the stack's (`test/migration/faults.kube.test.ts`, production: `faults-production`).
 */
function suiteNamespace(stack: string): string {
  const testPath = expect.getState().testPath ?? "suite";
  const base = `${path.basename(testPath).split(".")[0]}-${stack}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 50);
  let name = base;
  for (let n = 2; namesTaken.has(name); n++) name = `${base}-${n}`;
  namesTaken.add(name);
  return name;
}

/**
 * Leaves the shared control plane as the suite found it: the namespace is deleted with all it
 * holds, and its pods, whose processes the agent has stopped, are marked stopped so that kwok's
 * stage lets them go. Nothing waits for the namespace controller to finish.
 */
async function releaseNamespace(cluster: KubeCluster, namespace: string): Promise<void> {
  await cluster.remove("Namespace", namespace).catch(() => undefined);
  const pods = await cluster.list("Pod", namespace).catch(() => []);
  for (const pod of pods) {
    await cluster
      .request("PATCH", `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}`, { metadata: { annotations: { [STOPPED_ANNOTATION]: "true" } } }, "application/merge-patch+json")
      .catch(() => undefined);
  }
}
