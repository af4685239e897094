/**
 * The kubelet's part for tests: kwok runs fake nodes with no container runtime, so this agent
 * turns the pods kwok's nodes are given into processes, and stops each process when its pod goes.
 * - A NATS pod (image `nats:`) runs the pinned `nats-server` with the nats.conf the stack deploys
 *   (its ConfigMap volume) and the users' passwords from its Secrets. Only addresses change: each
 *   pod's client, cluster and monitor ports map to loopback ports, routes to the peers' mapped
 *   cluster ports; its JetStream volume is a folder per PersistentVolumeClaim that outlives the pod.
 * - A normalize-service or ingest-service pod runs the service double (test/doubles) with the
 *   pod's environment resolved as the kubelet resolves it (`envFrom`, `env`, `secretKeyRef`,
 *   `configMapKeyRef`, `fieldRef`); NATS_URL's Service address maps to the NATS pods' ports.
 * Readiness waits for the process: the cluster is started with kwok stages (kube-cluster.ts,
 * `processes: true`) that make a pod Ready only once this agent has seen the pod's own startup
 * probe pass once, then its readiness probe (as the kubelet: readiness is not probed before the
 * startup probe has passed; the NATS pods' startup probe is `/healthz`, every stream current), and delete a terminating pod only once its process has exited,
 * as a kubelet does. So a Deployment's roll, a StatefulSet's and Pulumi's await all wait for real
 * processes. A process that exits while its pod lives is a crash: counted and restarted.
 * A pod that goes is stopped as a kubelet stops it: its container's preStop exec hook first (the
 * NATS pods' `nats-server -sl=ldm=<pid file>`, lame-duck mode: the server hands its streams'
 * leadership to its peers and closes its clients one by one), then SIGTERM, which nats-server
 * ignores while in lame duck, and SIGKILL when the pod's grace period is over.
 * Every process is started through the PID ledger and stopped by its PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { poll, sleep } from "../../components/poll";
import { HEALTH_PORT_ENV, RECORDS_ENV } from "../doubles/records";
import { compiledDouble } from "./doubles";
import type { KubeCluster } from "./kube-cluster";
import { freePort, NATS_SERVER_BIN, REPO_ROOT, tryBind } from "./nats-servers";
import { stopChild, superviseChild } from "./pid-ledger";

/** The annotations the agent sets and the cluster's kwok stages wait for. */
export const READY_ANNOTATION = "event-bus.test/ready";
export const STOPPED_ANNOTATION = "event-bus.test/stopped";

export interface NatsPorts {
  client: number;
  cluster: number;
  monitor: number;
}

type Pod = any;

interface Running {
  pod: Pod;
  key: string;
  uid: string;
  child: ChildProcess;
  exited: Promise<void>;
  output: () => string;
  ready: boolean;
  /** Its startup probe has passed (or it has none): from then on only its readiness probe counts. */
  started?: boolean;
  ports: Record<string, number>;
  stopping: boolean;
  restarts: number;
  /** The container's preStop exec hook, as a command on this machine. */
  preStop?: { command: string; args: string[] };
}

export interface PodEvent {
  at: number;
  pod: string;
  event: "started" | "ready" | "stopped" | "crashed";
  detail?: string;
}

/** Which double a service image runs (test/doubles/, compiled: test/helpers/doubles.ts). */
const DOUBLES: Array<{ image: RegExp; double: string }> = [
  { image: /normalize-service/, double: "normalize-service" },
  { image: /ingest-service/, double: "ingest-service" },
];

export class PodAgent {
  readonly events: PodEvent[] = [];
  /** NATS pods that waited for their loopback ports, held by another process, before starting (and how long). */
  readonly portWaits: string[] = [];
  /** Folder of the doubles' records (one file per pod incarnation). */
  readonly recordsDir: string;
  private readonly running = new Map<string, Running>();
  private readonly natsPorts = new Map<string, NatsPorts>();
  private loop?: Promise<void>;
  private active = false;
  /** What went wrong, per pod (and "(agent)" for a round that failed as a whole), until it goes right again. */
  private readonly failures = new Map<string, Error>();

  constructor(
    private readonly cluster: KubeCluster,
    /** The namespace whose pods it runs: on the shared control plane, other suites run theirs. */
    readonly namespace: string,
    private readonly dir: string,
    private readonly extraEnv: Record<string, string> = {},
  ) {
    this.recordsDir = path.join(dir, "records");
    fs.mkdirSync(this.recordsDir, { recursive: true });
  }

  /**
   * Loopback ports for a StatefulSet's pods `<name>-0..n-1` in a namespace, chosen before they
   * exist, so that a stack's `event-bus:nats.servers` can name them.
   */
  async reserveNatsPorts(namespace: string, statefulSet: string, replicas: number): Promise<NatsPorts[]> {
    const out: NatsPorts[] = [];
    for (let i = 0; i < replicas; i++) {
      const key = `${namespace}/${statefulSet}-${i}`;
      const ports = this.natsPorts.get(key) ?? { client: await freePort(), cluster: await freePort(), monitor: await freePort() };
      this.natsPorts.set(key, ports);
      out.push(ports);
    }
    return out;
  }

  start(): void {
    this.active = true;
    this.loop = (async () => {
      while (this.active) {
        try {
          await this.reconcile();
          this.failures.delete("(agent)");
        } catch (e) {
          this.failures.set("(agent)", e as Error);
        }
        await sleep(100);
      }
    })();
  }

  /** Fails when the agent itself failed (a pod it could not run). */
  assertHealthy(): void {
    const first = this.failures.values().next();
    if (!first.done) throw first.value;
  }

  /** Pods whose process is running, by `namespace/name`. */
  runningPods(): string[] {
    return [...this.running.values()].filter((r) => !r.stopping).map((r) => r.key);
  }

  /** The PID of the process a pod (`namespace/name`) runs now, if any. */
  pidOf(pod: string): number | undefined {
    return [...this.running.values()].find((r) => r.key === pod && !r.stopping)?.child.pid;
  }

  /** Crashes (a process that exited while its pod lived), per pod. */
  crashes(): PodEvent[] {
    return this.events.filter((e) => e.event === "crashed");
  }

  async stop(): Promise<void> {
    this.active = false;
    await this.loop;
    await Promise.all([...this.running.values()].map((r) => stopChild(r.child, r.exited, 5_000)));
    this.running.clear();
  }

  /** What the agent saw of each pod, for a failure's message. */
  async describe(namespace: string): Promise<string> {
    const pods: Pod[] = await this.cluster.list("Pod", namespace);
    const lines = pods.map((p) => {
      const ready = p.status?.conditions?.find((c: any) => c.type === "Ready")?.status;
      const r = [...this.running.values()].find((x) => x.uid === p.metadata.uid);
      return `${p.metadata.name} node=${p.spec.nodeName ?? "-"} phase=${p.status?.phase} ready=${ready} deleting=${Boolean(p.metadata.deletionTimestamp)} annotations=${JSON.stringify(p.metadata.annotations ?? {})} process=${r ? `${r.child.pid} exit=${r.child.exitCode} ready=${r.ready}` : "none"}`;
    });
    const tail = (r: Running) => `--- ${r.key}\n${r.output().slice(-800)}`;
    return [`agent failures: ${[...this.failures.values()].map((e) => e.message).join("; ") || "none"}`, `NATS pods that waited for their ports: ${this.portWaits.join("; ") || "none"}`, ...lines, ...[...this.running.values()].filter((r) => !r.ready).map(tail)].join("\n");
  }

  private async reconcile(): Promise<void> {
    const listed = await this.cluster.request("GET", `/api/v1/namespaces/${this.namespace}/pods`);
    // An answer that is not the list says nothing of the pods: taken as "none", it would stop every process.
    if (listed.status !== 200 || !Array.isArray(listed.body?.items)) throw new Error(`pod-agent: list pods in ${this.namespace}: ${listed.status} ${JSON.stringify(listed.body).slice(0, 300)}`);
    const pods: Pod[] = listed.body.items;
    const live = new Map<string, Pod>(pods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}#${p.metadata.uid}`, p]));
    // Pods gone or going: stop their processes, then let kwok delete them.
    for (const [id, r] of this.running) {
      const pod = live.get(id);
      if (!pod || pod.metadata.deletionTimestamp) {
        if (!r.stopping) void this.stopPod(id, r, pod);
      }
    }
    for (const pod of pods) {
      const id = `${pod.metadata.namespace}/${pod.metadata.name}#${pod.metadata.uid}`;
      // One pod's trouble never holds the others up: it is kept as that pod's failure until a
      // later round for the pod goes through (a transient API error heals; a pod no process
      // stands for fails every round).
      try {
        if (pod.metadata.deletionTimestamp) {
          if (!this.running.has(id) && pod.metadata.annotations?.[STOPPED_ANNOTATION] !== "true") await this.annotate(pod, STOPPED_ANNOTATION);
          this.failures.delete(id);
          continue;
        }
        if (!pod.spec.nodeName) continue;
        const r = this.running.get(id);
        if (!r) {
          await this.launch(id, pod);
          this.failures.delete(id);
          continue;
        }
        // Ready once the annotation is written: an annotation that failed (an API call timed
        // out under load) is tried again on the next round, never taken as done.
        if (!r.ready && (await this.probe(r))) {
          await this.annotate(pod, READY_ANNOTATION);
          r.ready = true;
          this.event(r.key, "ready");
        }
        this.failures.delete(id);
      } catch (e) {
        this.failures.set(id, new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${(e as Error).message}`));
      }
    }
    for (const id of this.failures.keys()) if (id !== "(agent)" && !live.has(id)) this.failures.delete(id);
  }

  private event(pod: string, event: PodEvent["event"], detail?: string): void {
    this.events.push({ at: Date.now(), pod, event, ...(detail ? { detail } : {}) });
  }

  private async annotate(pod: Pod, annotation: string): Promise<void> {
    const r = await this.cluster.request(
      "PATCH",
      `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`,
      { metadata: { annotations: { [annotation]: "true" } } },
      "application/merge-patch+json",
    );
    if (r.status >= 300 && r.status !== 404) throw new Error(`pod-agent: annotate ${pod.metadata.name}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  private async launch(id: string, pod: Pod): Promise<void> {
    const container = pod.spec.containers[0];
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const spec = /^nats:/.test(container.image) ? await this.natsProcess(pod, container) : await this.doubleProcess(pod, container);
    if (!spec) throw new Error(`pod-agent: no process for pod ${key} (image ${container.image})`);
    const r: Running = { pod, key, uid: pod.metadata.uid, ports: spec.ports, ready: false, stopping: false, restarts: 0, preStop: spec.preStop, ...this.spawn(spec) };
    this.running.set(id, r);
    this.event(key, "started");
    this.watchExit(id, r, spec);
  }

  private spawn(spec: ProcessSpec): Pick<Running, "child" | "exited" | "output"> {
    const child = spawn(spec.command, spec.args, { cwd: REPO_ROOT, env: spec.env, stdio: ["ignore", "pipe", "pipe"] });
    const { exited, output } = superviseChild(child, 100);
    return { child, exited, output };
  }

  private watchExit(id: string, r: Running, spec: ProcessSpec): void {
    void r.exited.then(async () => {
      if (r.stopping || !this.active) return;
      // Its pod lives: a crash, which the kubelet restarts.
      this.event(r.key, "crashed", `exit ${r.child.exitCode ?? r.child.signalCode}: ${r.output().slice(-500)}`);
      await sleep(1_000);
      if (r.stopping || !this.active || !this.running.has(id)) return;
      r.restarts++;
      Object.assign(r, this.spawn(spec));
      this.watchExit(id, r, spec);
    });
  }

  private async stopPod(id: string, r: Running, pod: Pod | undefined): Promise<void> {
    r.stopping = true;
    const graceSeconds = pod?.spec?.terminationGracePeriodSeconds ?? 30;
    if (r.preStop && r.child.exitCode === null && r.child.signalCode === null) {
      // The kubelet runs the hook, then signals; the hook and the wait share the grace period.
      const started = Date.now();
      const hook = spawn(r.preStop.command, r.preStop.args, { stdio: "ignore" });
      const { exited } = superviseChild(hook, 10);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, graceSeconds * 1000)))]);
      clearTimeout(timer);
      await stopChild(hook, exited, 1_000);
      await stopChild(r.child, r.exited, Math.max(2_000, graceSeconds * 1000 - (Date.now() - started)));
    } else {
      await stopChild(r.child, r.exited, Math.min(15, graceSeconds) * 1000);
    }
    this.event(r.key, "stopped");
    this.running.delete(id);
    if (pod) await this.annotate(pod, STOPPED_ANNOTATION);
  }

  /**
   * The container's startup probe until it has passed once, then its readiness probe, run against
   * its process (a pod with neither is ready when running).
   */
  private async probe(r: Running): Promise<boolean> {
    if (r.child.exitCode !== null) return false;
    const container = r.pod.spec.containers[0];
    if (!r.started) {
      if (container.startupProbe && !(await this.httpProbe(r, container.startupProbe, "startup"))) return false;
      r.started = true;
    }
    return this.httpProbe(r, container.readinessProbe, "readiness");
  }

  private async httpProbe(r: Running, spec: { httpGet?: { port: string | number; path?: string }; timeoutSeconds?: number } | undefined, kind: string): Promise<boolean> {
    const probe = spec?.httpGet;
    if (!probe) return true;
    const port = typeof probe.port === "number" ? r.ports[String(probe.port)] : r.ports[probe.port];
    if (!port) throw new Error(`pod-agent: ${r.key}'s ${kind} probe names port ${probe.port}, which maps to no process port`);
    // As the kubelet: a probe that does not answer within its timeoutSeconds (default 1) failed.
    const timeoutMs = (spec.timeoutSeconds ?? 1) * 1000;
    const res = await fetch(`http://127.0.0.1:${port}${probe.path ?? "/"}`, { signal: AbortSignal.timeout(timeoutMs) }).catch(() => undefined);
    if (res === undefined || res.status < 200 || res.status >= 400) return false;
    // Loopback ports are shared by every pod here (a pod has no address of its own): an answer
    // that names another pod came from another process, and says nothing of this one.
    const body = (await res.json().catch(() => undefined)) as { pod?: unknown } | undefined;
    return body?.pod === undefined || body.pod === r.pod.metadata.name;
  }

  /** The container's environment as the kubelet resolves it: envFrom first, then env over it. */
  private async resolveEnv(pod: Pod, container: any): Promise<Record<string, string>> {
    const ns = pod.metadata.namespace;
    const out: Record<string, string> = {};
    const data = async (kind: "ConfigMap" | "Secret", name: string): Promise<Record<string, string>> => {
      const obj = await this.cluster.get(kind, name, ns);
      if (!obj) throw new Error(`pod-agent: pod ${pod.metadata.name} reads ${kind} ${ns}/${name}, which does not exist`);
      if (kind === "ConfigMap") return obj.data ?? {};
      return Object.fromEntries(Object.entries(obj.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), "base64").toString("utf8")]));
    };
    for (const from of container.envFrom ?? []) {
      const ref = from.configMapRef ? (["ConfigMap", from.configMapRef.name] as const) : (["Secret", from.secretRef.name] as const);
      for (const [k, v] of Object.entries(await data(ref[0], ref[1]))) out[`${from.prefix ?? ""}${k}`] = v;
    }
    for (const e of container.env ?? []) {
      // As the kubelet: $(VAR) names a variable defined before it ($$ escapes), and stays as written otherwise.
      if (e.value !== undefined) out[e.name] = String(e.value).replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole: string, name?: string) => (name === undefined ? "$" : (out[name] ?? whole)));
      else if (e.valueFrom?.secretKeyRef) out[e.name] = (await data("Secret", e.valueFrom.secretKeyRef.name))[e.valueFrom.secretKeyRef.key];
      else if (e.valueFrom?.configMapKeyRef) out[e.name] = (await data("ConfigMap", e.valueFrom.configMapKeyRef.name))[e.valueFrom.configMapKeyRef.key];
      else if (e.valueFrom?.fieldRef) out[e.name] = fieldOf(pod, e.valueFrom.fieldRef.fieldPath);
    }
    return out;
  }

  /** The client URLs of the NATS pods a Service address stands for. */
  private natsUrlsFor(namespace: string): string {
    const urls = [...this.natsPorts.entries()].filter(([k]) => k.startsWith(`${namespace}/`)).map(([, p]) => `nats://127.0.0.1:${p.client}`);
    if (!urls.length) throw new Error(`pod-agent: no NATS ports reserved in namespace ${namespace}`);
    return urls.join(",");
  }

  private async doubleProcess(pod: Pod, container: any): Promise<ProcessSpec | undefined> {
    const double = DOUBLES.find((d) => d.image.test(container.image));
    if (!double) return undefined;
    const env = await this.resolveEnv(pod, container);
    if (env.NATS_URL !== undefined) env.NATS_URL = mapServiceUrl(env.NATS_URL, () => this.natsUrlsFor(pod.metadata.namespace));
    // Its volumes (the NATS CA, when the servers speak TLS), and each variable that names a path in one, its folder.
    const hostPath = await this.mountVolumes(pod, container, path.join(this.dir, "pods", pod.metadata.namespace, `${pod.metadata.name}-${pod.metadata.uid}`));
    for (const [k, v] of Object.entries(env)) if (v?.startsWith("/")) env[k] = hostPath(v);
    const ports: Record<string, number> = {};
    for (const p of container.ports ?? []) ports[p.name ?? String(p.containerPort)] = ports[String(p.containerPort)] = await freePort();
    const records = path.join(this.recordsDir, `${pod.metadata.name}-${pod.metadata.uid}.jsonl`);
    return {
      command: process.execPath,
      args: [compiledDouble(double.double)],
      env: { PATH: process.env.PATH ?? "", HOSTNAME: pod.metadata.name, POD_NAME: pod.metadata.name, ...env, ...this.extraEnv, [RECORDS_ENV]: records, [HEALTH_PORT_ENV]: String(ports.http ?? "") },
      ports,
    };
  }

  /**
   * A container's volumes as folders: ConfigMaps and Secrets written out (a Secret's `items` only,
   * when it names them), emptyDirs fresh, claims kept across the pod's incarnations. Gives the
   * mapping of a path inside the container to its folder.
   */
  private async mountVolumes(pod: Pod, container: any, podDir: string): Promise<(p: string) => string> {
    const ns = pod.metadata.namespace;
    const mounts: Array<[string, string]> = [];
    for (const m of container.volumeMounts ?? []) {
      const v = pod.spec.volumes.find((x: any) => x.name === m.name);
      let host: string;
      if (v?.configMap) {
        host = path.join(podDir, "volumes", m.name);
        fs.mkdirSync(host, { recursive: true });
        const cm = await this.cluster.get("ConfigMap", v.configMap.name, ns);
        if (!cm) throw new Error(`pod-agent: ConfigMap ${ns}/${v.configMap.name} of pod ${pod.metadata.name} does not exist`);
        for (const [file, text] of Object.entries(cm.data ?? {})) fs.writeFileSync(path.join(host, file), String(text));
      } else if (v?.secret) {
        host = path.join(podDir, "volumes", m.name);
        fs.mkdirSync(host, { recursive: true });
        const secret = await this.cluster.get("Secret", v.secret.secretName, ns);
        if (!secret) throw new Error(`pod-agent: Secret ${ns}/${v.secret.secretName} of pod ${pod.metadata.name} does not exist`);
        const data: Record<string, string> = secret.data ?? {};
        const items: Array<{ key: string; path: string }> = v.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }));
        for (const { key, path: file } of items) {
          if (data[key] === undefined) throw new Error(`pod-agent: Secret ${ns}/${v.secret.secretName} has no key ${key} (pod ${pod.metadata.name})`);
          fs.writeFileSync(path.join(host, file), Buffer.from(String(data[key]), "base64"));
        }
      } else if (v?.persistentVolumeClaim) {
        host = path.join(this.dir, "claims", ns, v.persistentVolumeClaim.claimName);
      } else {
        host = path.join(podDir, "volumes", m.name);
      }
      fs.mkdirSync(host, { recursive: true });
      mounts.push([m.mountPath, host]);
    }
    return (p: string) => {
      const hit = mounts.filter(([mp]) => p === mp || p.startsWith(`${mp}/`)).sort((a, b) => b[0].length - a[0].length)[0];
      return hit ? hit[1] + p.slice(hit[0].length) : p;
    };
  }

  private async natsProcess(pod: Pod, container: any): Promise<ProcessSpec> {
    const ns = pod.metadata.namespace;
    const ports = this.natsPorts.get(`${ns}/${pod.metadata.name}`);
    if (!ports) throw new Error(`pod-agent: no ports reserved for NATS pod ${ns}/${pod.metadata.name} (reserveNatsPorts)`);
    // A pod here has no address of its own: the pod that replaces another of the same name takes
    // its loopback ports, which a kubelet's fresh pod IP never shares. It starts once they are free.
    const waited = Date.now();
    const free = await poll({ timeoutMs: 60_000, intervalMs: 100 }, async () => {
      for (const p of [ports.client, ports.cluster, ports.monitor]) if ((await tryBind(p)) === undefined) return undefined;
      return true;
    });
    if (!free) throw new Error(`pod-agent: NATS pod ${ns}/${pod.metadata.name}: its ports ${ports.client}, ${ports.cluster}, ${ports.monitor} were still taken after 60 s`);
    if (Date.now() - waited > 200) this.portWaits.push(`${ns}/${pod.metadata.name}: ${Date.now() - waited} ms`);
    const podDir = path.join(this.dir, "pods", ns, `${pod.metadata.name}-${pod.metadata.uid}`);
    const hostPath = await this.mountVolumes(pod, container, podDir);
    const args: string[] = (container.args ?? []).map(hostPath);
    const configArg = args.indexOf("--config");
    if (configArg < 0) throw new Error(`pod-agent: NATS pod ${pod.metadata.name} has no --config argument`);
    const confFile = args[configArg + 1];
    const peers = (name: string) => this.natsPorts.get(`${ns}/${name}`);
    // nats-server reads an include relative to the including file's directory (in the container):
    // its text goes in where it stands, since the mapped file is written elsewhere.
    const containerConfDir = path.posix.dirname((container.args ?? [])[configArg + 1]);
    const withIncludes = fs.readFileSync(confFile, "utf8").replace(/^\s*include\s+"([^"]+)"\s*$/gm, (_line, file: string) => fs.readFileSync(hostPath(path.posix.resolve(containerConfDir, file)), "utf8"));
    const mapped = mapNatsConf(withIncludes, ports, peers, hostPath);
    const mappedFile = path.join(podDir, "nats.conf");
    fs.writeFileSync(mappedFile, mapped);
    args[configArg + 1] = mappedFile;
    const env = await this.resolveEnv(pod, container);
    // Its preStop hook runs the image's nats-server: here the pinned one, with the paths of the pod's volumes.
    const hook: string[] | undefined = container.lifecycle?.preStop?.exec?.command;
    if (hook && hook[0] !== "nats-server") throw new Error(`pod-agent: NATS pod ${pod.metadata.name} has a preStop hook it can not run: ${hook.join(" ")}`);
    return {
      command: NATS_SERVER_BIN,
      args,
      ...(hook ? { preStop: { command: NATS_SERVER_BIN, args: hook.slice(1).map((a) => a.replace(/\/[^\s=,]+/g, (p) => hostPath(p))) } } : {}),
      env: { PATH: process.env.PATH ?? "", ...env },
      ports: { nats: ports.client, cluster: ports.cluster, monitor: ports.monitor, "4222": ports.client, "6222": ports.cluster, "8222": ports.monitor },
    };
  }
}

interface ProcessSpec {
  command: string;
  args: string[];
  preStop?: { command: string; args: string[] };
  env: NodeJS.ProcessEnv;
  ports: Record<string, number>;
}

function fieldOf(pod: Pod, fieldPath: string): string {
  switch (fieldPath) {
    case "metadata.name":
      return pod.metadata.name;
    case "metadata.namespace":
      return pod.metadata.namespace;
    case "status.podIP":
    case "status.hostIP":
      return "127.0.0.1";
    case "spec.nodeName":
      return pod.spec.nodeName;
    default:
      throw new Error(`pod-agent: fieldRef ${fieldPath} is not supported`);
  }
}

/** `nats://<service>:<port>` (a Service in the pod's namespace) as the NATS pods' loopback URLs; other URLs unchanged. */
export function mapServiceUrl(url: string, natsUrls: () => string): string {
  return /^nats:\/\/[a-z0-9-]+(\.[a-z0-9-.]+)?:\d+$/.test(url) && !/^nats:\/\/127\./.test(url) ? natsUrls() : url;
}

/**
 * A stack's nats.conf with only its addresses changed: the client, monitoring and cluster listen
 * addresses become this pod's loopback ports, each route its peer's mapped cluster port, and
 * paths inside mounted volumes their host folders.
 */
export function mapNatsConf(conf: string, ports: NatsPorts, peer: (podName: string) => NatsPorts | undefined, hostPath: (p: string) => string): string {
  // The stack's nats.conf (`port: 4222`, `cluster {`) or the Helm chart's JSON form (`"port": 4222,`, `"cluster": {`).
  let clusterIndent: string | undefined;
  const key = (quoted: boolean, k: string) => (quoted ? `"${k}": ` : `${k}: `);
  const value = (quoted: boolean, v: string) => (quoted ? `"${v}"` : v);
  return conf
    .split("\n")
    .map((line) => {
      const opens = /^(\s*)"?cluster"?\s*:?\s*\{/.exec(line);
      if (opens) clusterIndent = opens[1];
      else if (clusterIndent !== undefined && new RegExp(`^${clusterIndent}\\}`).test(line)) clusterIndent = undefined;
      const port = /^(\s*)("?)(port|http_port)"?\s*:\s*\d+(,?)\s*$/.exec(line);
      if (port) {
        const [, indent, q, k, comma] = port;
        const quoted = q === '"';
        if (clusterIndent !== undefined && k === "port") return `${indent}${key(quoted, "listen")}${value(quoted, `127.0.0.1:${ports.cluster}`)}${comma}`;
        if (k === "port") return `${indent}${key(quoted, "listen")}${value(quoted, `127.0.0.1:${ports.client}`)}${comma}`;
        return `${indent}${key(quoted, "http")}${value(quoted, `127.0.0.1:${ports.monitor}`)}${comma}`;
      }
      return line
        .replace(/nats:\/\/([^@"\s/]+@)?([a-z0-9-]+)\.[a-z0-9.-]+:\d+/g, (whole, credentials: string | undefined, name: string) => {
          const p = peer(name);
          return p ? `nats://${credentials ?? ""}127.0.0.1:${p.cluster}` : whole;
        })
        .replace(/"(\/[^"]+)"/g, (_w, p: string) => JSON.stringify(hostPath(p)));
    })
    .join("\n");
}

/** Waits until the pods matching a label selector in a namespace all run a ready process. */
export async function waitForPods(agent: PodAgent, cluster: KubeCluster, namespace: string, selector: string, count: number, timeoutMs = 60_000): Promise<void> {
  const ok = await poll({ timeoutMs, intervalMs: 200 }, async () => {
    agent.assertHealthy();
    const pods = (await cluster.list("Pod", namespace, selector)).filter((p: Pod) => !p.metadata.deletionTimestamp);
    const ready = pods.filter((p: Pod) => p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"));
    return ready.length === count && pods.length === count ? true : undefined;
  });
  if (!ok) throw new Error(`timed out waiting for ${count} ready pods ${selector} in ${namespace}`);
}
