/**
 * A whole stack (staging or production, from its own stack file) under the real engine and the
 * real Kubernetes provider plugin, against a test control plane whose pods run as processes
 * (test/helpers/pod-agent.ts). The provider finds the control plane as a user's finds theirs:
 * through KUBECONFIG. Only addresses are overridden: `event-bus:nats.servers` names the loopback
 * ports the NATS pods will listen on; and the Prometheus operator's objects are left out (its
 * CRDs are not available here).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_REPLICAS, type Environment } from "../../components/config/stack-config";
import { NATS_NAME } from "../../components/kubernetes/nats-cluster";
import { stackFileConfig } from "../../scripts/stack-file";
import { prepareProject } from "../../scripts/lib/pulumi-project";
import { engineStack, type EngineStack } from "./engine";
import { startKubeCluster, type KubeCluster } from "./kube-cluster";
import { PodAgent } from "./pod-agent";

export interface KubeStack {
  cluster: KubeCluster & { kubeconfig: string };
  agent: PodAgent;
  stack: EngineStack;
  namespace: string;
  /** The NATS pods' client URLs (what the stack's providers connect to). */
  natsUrls: string[];
  /**
   * Rewrites the stack file: the repository's, with the harness's overrides and these (their
   * `kubernetes` keys merged into the stack file's), as a pull request changes it.
   */
  configure(overrides: Record<string, unknown>): void;
  stop(): Promise<void>;
}

/**
 * Starts a control plane and a pod agent and lays out the stack. `kubernetes` overrides keys of
 * the stack file's `event-bus:kubernetes`; `namespaceExists` creates the namespace beforehand, as
 * a cluster a team already runs has it.
 */
export async function kubeStack(
  name: "staging" | "production",
  opts: { overrides?: Record<string, unknown>; kubernetes?: Record<string, unknown>; namespaceExists?: boolean; agentEnv?: Record<string, string> } = {},
): Promise<KubeStack> {
  const file = stackFileConfig(name);
  const k: Record<string, unknown> = { ...(file.kubernetes as Record<string, unknown>), prometheusOperator: false, ...opts.kubernetes };
  const namespace = String(k.namespace);
  const natsReplicas = ((k.nats as { replicas?: number } | undefined)?.replicas ?? DEFAULT_REPLICAS[file.environment as Environment]) as number;
  const cluster = await startKubeCluster({ nodes: 3, processes: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `event-bus-pods-${name}-`));
  const agent = new PodAgent(cluster, dir, opts.agentEnv);
  let stack: EngineStack | undefined;
  try {
    const ports = await agent.reserveNatsPorts(namespace, NATS_NAME, natsReplicas);
    const natsUrls = ports.map((p) => `nats://127.0.0.1:${p.client}`);
    agent.start();
    if (opts.namespaceExists) await cluster.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
    const overridesWith = (extra: Record<string, unknown>) => {
      const { kubernetes: ek, ...rest } = { ...opts.overrides, ...extra };
      return { nats: { servers: natsUrls }, ...rest, kubernetes: { ...k, ...(opts.overrides?.kubernetes as object), ...(ek as object) } };
    };
    stack = await engineStack(name, { overrides: overridesWith({}) });
    stack.env.KUBECONFIG = cluster.kubeconfig;
    const s = stack;
    return {
      cluster,
      agent,
      stack: s,
      namespace,
      natsUrls,
      configure: (extra) => void prepareProject({ dir: s.dir, stack: name, overrides: overridesWith(extra) }),
      async stop() {
        s.remove();
        await agent.stop();
        await cluster.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    stack?.remove();
    await agent.stop();
    await cluster.stop();
    throw e;
  }
}
