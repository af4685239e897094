/**
 * The one way tests (and the local stack) start real nats-server processes: a single
 * JetStream server, or a JetStream cluster, on free loopback ports with temporary store
 * folders. Every process is recorded in the PID ledger and stopped by its PID.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { NATS_SERVER_VERSION } from "../../components/versions";
import { forgetPid, stopChild, superviseChild } from "./pid-ledger";
import { poll } from "../../components/poll";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const TOOLS_BIN = path.join(REPO_ROOT, ".tools", "bin");
export const NATS_SERVER_BIN = path.join(TOOLS_BIN, "nats-server");
export const NATS_CLI_BIN = path.join(TOOLS_BIN, "nats");

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const POLL_MS = 25;

export interface ServerOptions {
  /** Extra nats.conf text appended to the generated config (accounts, authorization, tls). */
  extraConfig?: string;
  /** Server name; also the cluster peer name. */
  name?: string;
}

/** One running nats-server process. `restart()` brings it back with the same ports and store. */
export interface NatsServer {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly monitorUrl: string;
  readonly storeDir: string;
  readonly configFile: string;
  pid(): number | undefined;
  running(): boolean;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** A server the test can also crash (`kill`), halt and start again with the same store. */
export type ServerNode = NatsServer & { kill(): Promise<void>; halt(): Promise<void>; start(): Promise<void> };

export interface NatsCluster {
  readonly name: string;
  readonly servers: ServerNode[];
  /** Client URLs of every node. */
  readonly urls: string[];
  /** Waits until the JetStream meta group has a leader seen by every running node. */
  waitForMetaLeader(): Promise<string>;
  stop(): Promise<void>;
}

/** Fails with the command that installs the server when the pinned binary is missing or another version. */
export function assertPinnedServer(): void {
  if (!fs.existsSync(NATS_SERVER_BIN)) {
    throw new Error(`nats-server is not installed at ${NATS_SERVER_BIN}; run \`npm run tools\` first`);
  }
  const printed = execFileSync(NATS_SERVER_BIN, ["--version"], { encoding: "utf8" }).trim();
  if (!printed.includes(`v${NATS_SERVER_VERSION}`) && !process.env.EVENT_BUS_ALLOW_OTHER_NATS) {
    throw new Error(
      `${NATS_SERVER_BIN} reports "${printed}", but versions.json pins ${NATS_SERVER_VERSION}; run \`npm run tools\``,
    );
  }
}

/** Every port freePort() has handed out in this process: a process it was given for may not listen on it yet. */
const HANDED_OUT = new Set<number>();

/** Where the loopback ports handed to test processes start: below every usual ephemeral range. */
const FIRST_TEST_PORT = 10_000;
/**
 * How many Jest workers may hand out ports: each gets a slice of its own, and Jest's main process
 * (the global setup's shared control plane) the slice before them. test/tiers.js never asks for more.
 */
export const MAX_PORT_WORKERS = 8;

/**
 * The ports a process may hand out: below the kernel's ephemeral range, so no outgoing connection
 * and no `listen(0)` (the engine's plugins, the API server's clients) can take one between its
 * hand-out and its process listening; one slice of that per Jest worker (`workerId` 1 to
 * MAX_PORT_WORKERS), slice 0 for Jest's main process (no worker id). A worker beyond the slices is
 * refused: two workers never share one. Pure.
 */
export function testPortRange(ephemeralLow: number, workerId: number | undefined): [number, number] | undefined {
  const slot = workerId ?? 0;
  if (!Number.isInteger(slot) || slot < 0 || slot > MAX_PORT_WORKERS) {
    throw new Error(`JEST_WORKER_ID=${workerId}: expected 1 to ${MAX_PORT_WORKERS} (one port slice each; run Jest with --maxWorkers=${MAX_PORT_WORKERS} or fewer)`);
  }
  const slices = MAX_PORT_WORKERS + 1;
  const span = ephemeralLow - FIRST_TEST_PORT;
  if (span < slices * 100) return undefined;
  const size = Math.floor(span / slices);
  return [FIRST_TEST_PORT + slot * size, FIRST_TEST_PORT + (slot + 1) * size - 1];
}

/** This process's Jest worker id (undefined in Jest's main process and outside Jest). */
export function jestWorkerId(): number | undefined {
  const id = process.env.JEST_WORKER_ID;
  return id === undefined ? undefined : Number(id);
}

/** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
function ephemeralLow(): number {
  try {
    return Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}

/** Whether nothing listens on 127.0.0.1:port now (0: any port the kernel gives). Resolves the port bound, or undefined. */
export function tryBind(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", () => resolve(undefined));
    srv.listen(port, "127.0.0.1", () => {
      const { port: p } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(p));
    });
  });
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, that this process has not handed
 * out before (the process it was given to may still be starting: the port looks free), and that
 * lies outside the ephemeral range (see testPortRange), so nothing else is given it meanwhile.
 */
export async function freePort(): Promise<number> {
  const range = testPortRange(ephemeralLow(), jestWorkerId());
  for (let attempt = 0; attempt < 500; attempt++) {
    const candidate = range ? range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1)) : 0;
    if (HANDED_OUT.has(candidate)) continue;
    const port = await tryBind(candidate);
    if (port !== undefined && !HANDED_OUT.has(port)) {
      HANDED_OUT.add(port);
      return port;
    }
  }
  throw new Error("freePort: no free loopback port found in 500 attempts");
}

interface NodePlan {
  name: string;
  port: number;
  monitorPort: number;
  clusterPort?: number;
  routes?: number[];
  clusterName?: string;
  storeDir: string;
  extraConfig?: string;
}

/** The nats.conf text for one test node. Pure, so a test can read what a node was given. */
export function renderTestServerConfig(plan: NodePlan): string {
  const lines = [
    `server_name: ${JSON.stringify(plan.name)}`,
    `listen: "127.0.0.1:${plan.port}"`,
    `http: "127.0.0.1:${plan.monitorPort}"`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(plan.storeDir)}`,
    `  max_memory_store: 256MB`,
    `  max_file_store: 1GB`,
    `}`,
  ];
  if (plan.clusterPort !== undefined) {
    const routes = (plan.routes ?? []).map((p) => `    "nats-route://127.0.0.1:${p}"`);
    lines.push(
      `cluster {`,
      `  name: ${JSON.stringify(plan.clusterName ?? "test-cluster")}`,
      `  listen: "127.0.0.1:${plan.clusterPort}"`,
      `  routes: [`,
      ...routes,
      `  ]`,
      `}`,
    );
  }
  if (plan.extraConfig) lines.push(plan.extraConfig);
  return lines.join("\n") + "\n";
}


/** GETs a monitoring endpoint; no keep-alive, so nothing holds the test process open. */
export async function getJson(url: string): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

class ServerProcess implements NatsServer {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private outputOf: () => string = () => "";

  constructor(
    readonly name: string,
    readonly port: number,
    readonly monitorPort: number,
    readonly storeDir: string,
    readonly configFile: string,
    private readonly onStopped?: () => void,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get monitorUrl(): string {
    return `http://127.0.0.1:${this.monitorPort}`;
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits until its monitor endpoint answers. */
  async start(): Promise<void> {
    if (this.running()) return;
    const child = spawn(NATS_SERVER_BIN, ["-c", this.configFile], { stdio: ["ignore", "pipe", "pipe"] });
    const supervised = superviseChild(child);
    this.child = child;
    this.exited = supervised.exited;
    this.outputOf = supervised.output;
    const up = await poll({ timeoutMs: READY_TIMEOUT_MS, intervalMs: POLL_MS }, async () => {
      if (!this.running()) throw new Error(`nats-server ${this.name} exited during start:\n${this.outputOf()}`);
      return (await getJson(`${this.monitorUrl}/varz`)) ? true : undefined;
    });
    if (up) return;
    await this.halt();
    throw new Error(`nats-server ${this.name} did not answer on ${this.monitorUrl} within ${READY_TIMEOUT_MS} ms`);
  }

  /** Stops the process by its PID, and for a standalone server removes its store. */
  async stop(): Promise<void> {
    await this.halt();
    this.onStopped?.();
  }

  /** SIGTERM to the PID, then SIGKILL after a grace period; the store is kept for a restart. */
  async halt(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    await stopChild(child, this.exited!, STOP_GRACE_MS);
    this.child = undefined;
  }

  /** Stops the process at once, as a crash would (SIGKILL). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    if (this.running()) {
      child.kill("SIGKILL");
      await this.exited;
    }
    forgetPid(child.pid);
    this.child = undefined;
  }

  async restart(): Promise<void> {
    await this.halt();
    await this.start();
  }

  output(): string {
    return this.outputOf();
  }
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const ALL_STARTED = new Set<{ stop(): Promise<void> }>();

/**
 * A free port can be taken by another process between our look and the server's bind (the
 * engine and its plugins open ports all the time): starts again on fresh ports when a bind failed.
 */
async function onFreshPorts<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (e) {
      if (i >= attempts || !/address already in use/.test((e as Error).message)) throw e;
    }
  }
}

/** Starts one JetStream server on free loopback ports. */
export async function startServer(options: ServerOptions = {}): Promise<ServerNode> {
  return onFreshPorts(() => startServerOnce(options));
}

async function startServerOnce(options: ServerOptions): Promise<ServerNode> {
  assertPinnedServer();
  const dir = tempDir("event-bus-nats-");
  const plan: NodePlan = {
    name: options.name ?? "single",
    port: await freePort(),
    monitorPort: await freePort(),
    storeDir: path.join(dir, "store"),
    extraConfig: options.extraConfig,
  };
  const configFile = path.join(dir, "nats.conf");
  fs.writeFileSync(configFile, renderTestServerConfig(plan));
  const server: ServerProcess = new ServerProcess(plan.name, plan.port, plan.monitorPort, plan.storeDir, configFile, () => {
    ALL_STARTED.delete(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  ALL_STARTED.add(server);
  try {
    await server.start();
    await waitForJetStream(server.monitorUrl);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

async function waitForJetStream(monitorUrl: string): Promise<void> {
  const ready = await poll({ timeoutMs: READY_TIMEOUT_MS, intervalMs: POLL_MS }, async () => ((await getJson(`${monitorUrl}/healthz?js-enabled-only=true`))?.status === "ok" ? true : undefined));
  if (ready) return;
  throw new Error(`JetStream at ${monitorUrl} was not ready within ${READY_TIMEOUT_MS} ms`);
}

/** Starts a JetStream cluster of `size` nodes (3 by default) and waits for its meta leader. */
export async function startCluster(size = 3, options: ServerOptions = {}): Promise<NatsCluster> {
  return onFreshPorts(() => startClusterOnce(size, options));
}

async function startClusterOnce(size: number, options: ServerOptions): Promise<NatsCluster> {
  assertPinnedServer();
  const dir = tempDir("event-bus-cluster-");
  const clusterName = options.name ?? "test-cluster";
  const ports = await Promise.all(Array.from({ length: size }, async () => [await freePort(), await freePort(), await freePort()]));
  const clusterPorts = ports.map((p) => p[2]);
  const servers = ports.map(([port, monitorPort, clusterPort], i) => {
    const name = `${clusterName}-n${i + 1}`;
    const nodeDir = path.join(dir, name);
    fs.mkdirSync(nodeDir, { recursive: true });
    const plan: NodePlan = {
      name,
      port,
      monitorPort,
      clusterPort,
      clusterName,
      routes: clusterPorts,
      storeDir: path.join(nodeDir, "store"),
      extraConfig: options.extraConfig,
    };
    const configFile = path.join(nodeDir, "nats.conf");
    fs.writeFileSync(configFile, renderTestServerConfig(plan));
    return new ServerProcess(name, port, monitorPort, plan.storeDir, configFile);
  });

  const waitForMetaLeader = async (): Promise<string> => {
    const found = await poll({ timeoutMs: READY_TIMEOUT_MS, intervalMs: POLL_MS * 4 }, async () => {
      const live = servers.filter((s) => s.running());
      const leaders = await Promise.all(
        live.map(async (s) => {
          const jsz = await getJson(`${s.monitorUrl}/jsz`);
          const meta = jsz?.meta_cluster as { leader?: string } | undefined;
          return meta?.leader;
        }),
      );
      const leader = leaders[0];
      if (leader && leaders.every((l) => l === leader)) {
        const healthy = await Promise.all(live.map((s) => getJson(`${s.monitorUrl}/healthz`)));
        if (healthy.every((h) => h?.status === "ok")) return leader;
      }
      return undefined;
    });
    if (found) return found;
    throw new Error(`cluster ${clusterName}: no JetStream meta leader within ${READY_TIMEOUT_MS} ms`);
  };

  const cluster = {
    name: clusterName,
    servers: servers as ServerNode[],
    urls: servers.map((s) => s.url),
    waitForMetaLeader,
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      ALL_STARTED.delete(cluster);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  ALL_STARTED.add(cluster);
  try {
    await Promise.all(servers.map((s) => s.start()));
    await waitForMetaLeader();
  } catch (e) {
    const logs = servers.map((s) => `--- ${s.name}\n${s.output()}`).join("\n");
    await cluster.stop();
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
  return cluster;
}

/** Stops every server and cluster this process started and has not stopped yet. */
export async function stopAll(): Promise<void> {
  await Promise.all([...ALL_STARTED].map((s) => s.stop()));
}
