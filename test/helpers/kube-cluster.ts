/**
 * The one way tests start a Kubernetes control plane, the way test/helpers/nats-servers.ts
 * starts NATS: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake nodes
 * whose pods and volumes kwok's stages bring to life), built by scripts/install-tools.sh at the
 * pins in versions.json, on free loopback ports, each stopped by its PID. Objects are applied
 * server-side with a field manager, as the Pulumi Kubernetes provider applies them.
 */
import { ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { freePort, REPO_ROOT, TOOLS_BIN } from "./nats-servers";
import { stopChild, superviseChild } from "./pid-ledger";
import { poll } from "../../components/poll";
import { READY_ANNOTATION, STOPPED_ANNOTATION } from "./pod-agent";

export const KWOK_STAGES = path.join(REPO_ROOT, ".tools", "share", "kwok-stages");
/** The field manager the Pulumi Kubernetes provider applies with. */
export const FIELD_MANAGER = "pulumi-kubernetes";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown };

/** Where each kind we use lives in the API: [group/version prefix, plural, namespaced]. */
const KINDS: Record<string, [string, string, boolean]> = {
  Namespace: ["api/v1", "namespaces", false],
  Node: ["api/v1", "nodes", false],
  ConfigMap: ["api/v1", "configmaps", true],
  Secret: ["api/v1", "secrets", true],
  Service: ["api/v1", "services", true],
  Pod: ["api/v1", "pods", true],
  PersistentVolumeClaim: ["api/v1", "persistentvolumeclaims", true],
  ServiceAccount: ["api/v1", "serviceaccounts", true],
  Deployment: ["apis/apps/v1", "deployments", true],
  ReplicaSet: ["apis/apps/v1", "replicasets", true],
  StatefulSet: ["apis/apps/v1", "statefulsets", true],
  PodDisruptionBudget: ["apis/policy/v1", "poddisruptionbudgets", true],
  NetworkPolicy: ["apis/networking.k8s.io/v1", "networkpolicies", true],
  StorageClass: ["apis/storage.k8s.io/v1", "storageclasses", false],
};

export function collectionPath(kind: string, namespace?: string): string {
  const k = KINDS[kind];
  if (!k) throw new Error(`kube-cluster: no API path known for kind ${kind}`);
  const [prefix, plural, namespaced] = k;
  return namespaced ? `/${prefix}/namespaces/${namespace}/${plural}` : `/${prefix}/${plural}`;
}

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: any,
    what: string,
  ) {
    super(`${what}: ${status} ${body?.message ?? JSON.stringify(body)}`);
  }
}

class Proc {
  readonly exited: Promise<void>;
  readonly output: () => string;
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    ({ exited: this.exited, output: this.output } = superviseChild(child, 100));
  }
  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  /** SIGTERM to the PID, SIGKILL after a grace period. */
  stop(graceMs = 5_000): Promise<void> {
    return stopChild(this.child, this.exited, graceMs);
  }
}


export interface KubeCluster {
  readonly nodes: string[];
  request(method: string, apiPath: string, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>;
  /**
   * Server-side apply, as the Pulumi Kubernetes provider does; `dryRun` asks the server to judge
   * without storing; `fieldManager` applies as another hand would (`kubectl apply --server-side` is "kubectl").
   */
  apply(obj: Obj, opts?: { dryRun?: boolean; fieldManager?: string }): Promise<any>;
  get(kind: string, name: string, namespace?: string): Promise<any | undefined>;
  list(kind: string, namespace?: string, labelSelector?: string): Promise<any[]>;
  remove(kind: string, name: string, namespace?: string): Promise<void>;
  /** Polls until `probe` returns a value other than undefined, failing with what it waited for. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** How a client reaches a running control plane: what another process needs to use it. */
export interface KubeConnection {
  server: string;
  token: string;
  /** The API server's serving certificate, which clients trust. */
  caFile: string;
  /** A kubeconfig for kubectl and the Pulumi Kubernetes provider. */
  kubeconfig: string;
}

/** A control plane this process started; `stop()` stops its processes. */
export type StartedKubeCluster = KubeCluster & { kubeconfig: string; connection: KubeConnection };

/** Requests to the API server as its admin, trusting its certificate. */
function requester(c: KubeConnection): KubeCluster["request"] {
  let ca: Buffer | undefined;
  return async (method, apiPath, body, contentType = "application/json") => {
    ca ??= fs.readFileSync(c.caFile);
    const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        `${c.server}${apiPath}`,
        { method, ca, headers: { authorization: `Bearer ${c.token}`, accept: "application/json", ...(data ? { "content-type": contentType, "content-length": Buffer.byteLength(data) } : {}) }, timeout: 30_000 },
        (res) => {
          let text = "";
          res.on("data", (chunk) => (text += chunk));
          res.on("end", () => {
            let parsed: any = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              /* plain text, e.g. /readyz */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${apiPath}: timed out`)));
      req.on("error", reject);
      if (data) req.write(data);
      req.end();
    });
  };
}

/**
 * A client of a control plane another process started and stops (the shared one of a Jest run,
 * test/helpers/shared-control-plane.ts): `stop()` leaves it running.
 */
export function connectKubeCluster(connection: KubeConnection, nodes: string[]): KubeCluster & { kubeconfig: string } {
  return Object.assign(makeCluster(requester(connection), async () => undefined, []), { kubeconfig: connection.kubeconfig, nodes: [...nodes] });
}

/**
 * kwok's stages for a cluster whose pods run as processes (test/helpers/pod-agent.ts): a pod is
 * made Ready only once the agent has seen its readiness probe pass against its process, and a
 * terminating pod is deleted only once its process has exited, as a kubelet does.
 */
function processStages(dir: string): string[] {
  const gate = (file: string, annotation: string) => {
    let text = fs.readFileSync(path.join(KWOK_STAGES, file), "utf8");
    // A pod the node controller marked not ready (its node's heartbeat late on a loaded machine)
    // is made Ready again while its process runs, as a kubelet would: not only while Pending.
    if (file === "pod-ready.yaml") {
      const anyPhase = text.replace("    - key: '.status.phase'\n      operator: 'In'\n      values:\n      - 'Pending'\n", "");
      if (anyPhase === text) throw new Error(`kube-cluster: kwok stage ${file} has no Pending condition to lift`);
      text = anyPhase;
    }
    const gated = text.replace(/(\n    matchExpressions:\n)/, `$1    - key: '.metadata.annotations["${annotation}"]'\n      operator: 'In'\n      values:\n      - 'true'\n`);
    if (gated === text) throw new Error(`kube-cluster: no matchExpressions in kwok stage ${file}`);
    const out = path.join(dir, file);
    fs.writeFileSync(out, gated);
    return out;
  };
  return [gate("pod-ready.yaml", READY_ANNOTATION), gate("pod-delete.yaml", STOPPED_ANNOTATION)];
}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok with fake nodes in
 * three zones. With `processes`, pods wait for a PodAgent (test/helpers/pod-agent.ts) to run them.
 */
export async function startKubeCluster(opts: { nodes?: number; processes?: boolean } = {}): Promise<StartedKubeCluster> {
  for (const b of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]) {
    if (!fs.existsSync(path.join(TOOLS_BIN, b))) throw new Error(`${b} is not built: run bash scripts/install-tools.sh`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-kube-"));
  const procs: Proc[] = [];
  const start = (name: string, args: string[]) => {
    const child = spawn(path.join(TOOLS_BIN, name), args, { stdio: ["ignore", "pipe", "pipe"], cwd: dir });
    const p = new Proc(name, child);
    procs.push(p);
    return p;
  };
  const stopAll = async () => {
    for (const p of [...procs].reverse()) await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdClient, etcdPeer, apiPort, cmPort, schedPort, kwokPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    const etcd = start("etcd", [
      "--name=event-bus-test",
      `--data-dir=${path.join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=event-bus-test=http://127.0.0.1:${etcdPeer}`,
      "--unsafe-no-fsync",
    ]);
    await waitHttp(etcd, `http://127.0.0.1:${etcdClient}/health`);

    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
    fs.writeFileSync(path.join(dir, "sa.pub"), publicKey);
    fs.writeFileSync(path.join(dir, "sa.key"), privateKey, { mode: 0o600 });
    const token = randomBytes(24).toString("hex");
    fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
    const certDir = path.join(dir, "certs");
    const api = start("kube-apiserver", [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${path.join(dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${path.join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--endpoint-reconciler-type=none",
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    const connection: KubeConnection = { server, token, caFile: path.join(certDir, "apiserver.crt"), kubeconfig: path.join(dir, "kubeconfig") };
    const request = requester(connection);
    await waitFor(api, "kube-apiserver ready", async () => {
      if (!fs.existsSync(path.join(certDir, "apiserver.crt"))) return undefined;
      const r = await request("GET", "/readyz").catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    }, 60_000);

    const kubeconfig = connection.kubeconfig;
    fs.writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "test", cluster: { server, "certificate-authority": connection.caFile } }],
        users: [{ name: "admin", user: { token } }],
        contexts: [{ name: "test", context: { cluster: "test", user: "admin" } }],
        "current-context": "test",
      }),
      { mode: 0o600 },
    );
    const auth = [`--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`, "--bind-address=127.0.0.1", "--leader-elect=false"];
    start("kube-controller-manager", [
      ...auth,
      `--secure-port=${cmPort}`,
      `--service-account-private-key-file=${path.join(dir, "sa.key")}`,
      `--root-ca-file=${path.join(certDir, "apiserver.crt")}`,
      "--use-service-account-credentials=false",
      "--controllers=*",
      // kwok's fake nodes renew their Leases late when the machine is busy; a late one must not mark every pod not ready.
      "--node-monitor-grace-period=120s",
    ]);
    start("kube-scheduler", [...auth, `--secure-port=${schedPort}`]);
    const gated = opts.processes ? processStages(dir) : [];
    const stages = fs
      .readdirSync(KWOK_STAGES)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => gated.find((g) => path.basename(g) === f) ?? path.join(KWOK_STAGES, f))
      .map((f) => `--config=${f}`);
    start("kwok", [`--kubeconfig=${kubeconfig}`, "--node-lease-duration-seconds=40", "--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake", `--server-address=127.0.0.1:${kwokPort}`, "--node-ip=127.0.0.1", ...stages]);

    const cluster = Object.assign(makeCluster(request, stopAll, procs), { kubeconfig, connection });
    // kwok's volume provisioner, as the default StorageClass.
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(KWOK_STAGES, "objects", "storage-class.yaml"), "utf8"))) await cluster.apply(doc.toJSON() as Obj);
    const zones = ["zone-a", "zone-b", "zone-c"];
    for (let i = 0; i < (opts.nodes ?? 3); i++) {
      const name = `kwok-node-${i}`;
      cluster.nodes.push(name);
      const r = await request("POST", "/api/v1/nodes", {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name, annotations: { "kwok.x-k8s.io/node": "fake" }, labels: { "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zones[i % zones.length], type: "kwok" } },
        status: { allocatable: { cpu: "32", memory: "256Gi", pods: "110" }, capacity: { cpu: "32", memory: "256Gi", pods: "110" } },
      });
      if (r.status >= 300) throw new KubeApiError(r.status, r.body, `create node ${name}`);
    }
    await cluster.waitFor("every fake node Ready", async () => {
      const nodes = await cluster.list("Node");
      return nodes.length === cluster.nodes.length && nodes.every((n) => n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True")) ? true : undefined;
    }, 60_000);
    // Pods are admitted only once the controllers made the namespace's default ServiceAccount.
    await cluster.waitFor("the default ServiceAccount", () => cluster.get("ServiceAccount", "default", "default"), 60_000);
    return cluster;
  } catch (e) {
    const logs = procs.map((p) => `--- ${p.name} (${p.running() ? "running" : "exited"})\n${p.output().slice(-3000)}`).join("\n");
    await stopAll();
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
}

function makeCluster(request: KubeCluster["request"], stopAll: () => Promise<void>, procs: Proc[]): KubeCluster {
  const pathOf = (o: Obj) => `${collectionPath(o.kind, o.metadata.namespace)}/${o.metadata.name}`;
  const cluster: KubeCluster = {
    nodes: [],
    request,
    async apply(obj, opts = {}) {
      const q = `?fieldManager=${opts.fieldManager ?? FIELD_MANAGER}&force=true${opts.dryRun ? "&dryRun=All" : ""}`;
      const r = await request("PATCH", `${pathOf(obj)}${q}`, obj, "application/apply-patch+yaml");
      if (r.status >= 300) throw new KubeApiError(r.status, r.body, `apply ${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata.name}`);
      return r.body;
    },
    async get(kind, name, namespace) {
      const r = await request("GET", `${collectionPath(kind, namespace)}/${name}`);
      if (r.status === 404) return undefined;
      if (r.status >= 300) throw new KubeApiError(r.status, r.body, `get ${kind} ${name}`);
      return r.body;
    },
    async list(kind, namespace, labelSelector) {
      const r = await request("GET", `${collectionPath(kind, namespace)}${labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : ""}`);
      if (r.status >= 300) throw new KubeApiError(r.status, r.body, `list ${kind}`);
      return r.body.items;
    },
    async remove(kind, name, namespace) {
      const r = await request("DELETE", `${collectionPath(kind, namespace)}/${name}`);
      if (r.status >= 300 && r.status !== 404) throw new KubeApiError(r.status, r.body, `delete ${kind} ${name}`);
    },
    async waitFor(what, probe, timeoutMs = 30_000) {
      return waitFor(undefined, what, probe, timeoutMs, procs);
    },
    stop: stopAll,
  };
  return cluster;
}

async function waitFor<T>(proc: Proc | undefined, what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, procs: Proc[] = []): Promise<T> {
  const v = await poll({ timeoutMs, intervalMs: 200 }, async () => {
    const dead = [proc, ...procs].find((p) => p && !p.running());
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}:\n${dead.output().slice(-3000)}`);
    return probe().catch(() => undefined);
  });
  if (v !== undefined) return v;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function waitHttp(proc: Proc, url: string): Promise<void> {
  await waitFor(proc, url, async () => ((await fetch(url).catch(() => undefined))?.ok ? true : undefined), 30_000);
}
