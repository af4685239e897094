/**
 * Connections to JetStream for the providers: one per server set and credentials, reused by
 * every operation in a provider process and closed when it ends; transient faults retried
 * with backoff inside a bounded budget; server errors turned into messages that keep their
 * err_code, name the resource, and never carry a credential.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import {
  credsAuthenticator,
  nkeyAuthenticator,
  NoRespondersError,
  RequestError,
  TimeoutError,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager, JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";
import { poll } from "../poll";
import { whenIdle } from "../providers/in-flight";
import { signIn, type SignIn } from "./identity";
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RETRY_BUDGET_MS, redact, secretsOf, type ConnectionArgs } from "./connection-args";

/** JetStream API codes worth waiting out: the cluster is electing, catching up, or briefly short of peers. */
export const TRANSIENT_ERR_CODES = new Set([
  10008, // JetStream system temporarily unavailable (no meta leader yet)
  10005, // no suitable peers for placement (a node is down or restarting)
  10023, // insufficient resources (a peer is catching up)
  10077, // stream store failed
]);

export const ERR = {
  CLUSTER_REQUIRED: 10074,
  STREAM_NOT_FOUND: 10059,
  CONSUMER_NOT_FOUND: 10014,
  SUBJECTS_OVERLAP: 10065,
  STREAM_NAME_IN_USE: 10058,
} as const;

/** A failure the user can act on: says what, on which resource, with the server's err_code. */
export class JetStreamOperationError extends Error {
  constructor(
    message: string,
    readonly errCode?: number,
    readonly transient = false,
  ) {
    super(message);
    this.name = "JetStreamOperationError";
  }
}

interface Pooled {
  nc: NatsConnection;
  jsm: JetStreamManager;
  /** When the connection lost its server, while it tries the others; undefined when connected. */
  disconnectedAt?: number;
}

type PoolState = { connections: Map<string, Promise<Pooled>>; exitHook: boolean };

// Shared on globalThis: every deserialised provider in the process (streams, consumers) uses one pool.
const POOL_KEY = Symbol.for("event-bus.jetstream.pool");
function pool(): PoolState {
  const g = globalThis as unknown as Record<symbol, PoolState | undefined>;
  let p = g[POOL_KEY];
  if (!p) {
    p = { connections: new Map(), exitHook: false };
    g[POOL_KEY] = p;
  }
  return p;
}

/** A digest of the servers and credentials, so that credentials are never kept as map keys. */
export function connectionKey(c: ConnectionArgs): string {
  const stable = JSON.stringify({ ...c, servers: [...c.servers].sort() });
  return createHash("sha256").update(stable).digest("hex");
}

function readMaybeFile(value: string): string {
  if (value.includes("-----BEGIN") || value.includes("\n")) return value;
  return fs.readFileSync(value, "utf8");
}

/** The NATS client options for a connection: one authenticator, TLS, fail-fast first connect. */
export function clientOptions(c: SignIn): ConnectionOptions {
  const opts: ConnectionOptions = {
    servers: c.servers,
    ...(c.inboxPrefix ? { inboxPrefix: c.inboxPrefix } : {}),
    name: "event-bus-pulumi-provider",
    timeout: c.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: false,
  };
  const enc = new TextEncoder();
  if (c.credsFile) opts.authenticator = credsAuthenticator(() => enc.encode(fs.readFileSync(c.credsFile!, "utf8")));
  else if (c.creds) opts.authenticator = credsAuthenticator(enc.encode(c.creds));
  else if (c.user) opts.authenticator = usernamePasswordAuthenticator(c.user, c.password);
  else if (c.token) opts.authenticator = tokenAuthenticator(c.token);
  else if (c.nkeySeed) opts.authenticator = nkeyAuthenticator(enc.encode(c.nkeySeed));
  // null, not undefined: only null keeps nats.js from upgrading where a server offers TLS.
  if (c.plainOnly) opts.tls = null;
  else if (c.tls) {
    opts.tls = {
      ...(c.tls.ca ? { ca: readMaybeFile(c.tls.ca) } : {}),
      ...(c.tls.cert ? { cert: readMaybeFile(c.tls.cert) } : {}),
      ...(c.tls.key ? { key: readMaybeFile(c.tls.key) } : {}),
    };
  }
  return opts;
}

async function open(c: ConnectionArgs): Promise<Pooled> {
  let nc: NatsConnection;
  // Which user: the one whose password this process's environment holds (identity.ts).
  const options = clientOptions(signIn(c));
  try {
    nc = await connect(options);
  } catch (e) {
    // A plain error: withRetry names the resource and the step in front of it.
    throw new Error(redact(`can not reach NATS at ${c.servers.join(", ")}: ${(e as Error).message}`, secretsOf(c)));
  }
  const refused = unsupportedServer(nc.info?.version);
  if (refused) {
    await nc.close().catch(() => undefined);
    throw new Error(`NATS at ${c.servers.join(", ")} ${refused}`);
  }
  const jsm = await jetstreamManager(nc, { timeout: c.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, checkAPI: false });
  const pooled: Pooled = { nc, jsm };
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") pooled.disconnectedAt ??= Date.now();
      if (s.type === "reconnect") pooled.disconnectedAt = undefined;
    }
  })();
  return pooled;
}

/** The oldest nats-server that keeps a stream's and a durable's metadata, where the stack keeps its ownership stamps and claims. */
export const OLDEST_SERVER = "2.10.0";

/**
 * Why a server of this version can not carry the stack, or undefined when it can: an older one
 * drops metadata silently, and with it the guards that stop one resource from deleting another's
 * stream and the claims that say where a moved durable starts. Pure.
 */
export function unsupportedServer(version: string | undefined): string | undefined {
  const parse = (v: string) => v.replace(/^v/, "").split(/[.-]/).slice(0, 3).map(Number);
  const [have, need] = [parse(version ?? "0.0.0"), parse(OLDEST_SERVER)];
  for (let i = 0; i < 3; i++) {
    if ((have[i] || 0) > need[i]) return undefined;
    if ((have[i] || 0) < need[i]) return `runs nats-server ${version ?? "(version not reported)"}, which keeps no stream or consumer metadata: the stack's ownership stamps and claims live there; upgrade to ${OLDEST_SERVER} or later`;
  }
  return undefined;
}

/** How long the pooled connection for `c` has been without a server (0 when connected or not open). */
export async function disconnectedForMs(c: ConnectionArgs): Promise<number> {
  const entry = pool().connections.get(connectionKey(c));
  const pooled = entry ? await entry.catch(() => undefined) : undefined;
  return pooled?.disconnectedAt === undefined ? 0 : Date.now() - pooled.disconnectedAt;
}

/** The pooled manager for these servers and credentials, opened on first use. */
export async function manager(c: ConnectionArgs): Promise<JetStreamManager> {
  const p = pool();
  const key = connectionKey(c);
  let entry = p.connections.get(key);
  if (!entry) {
    entry = open(c);
    p.connections.set(key, entry);
    entry.then(
      ({ nc }) => nc.closed().then(() => p.connections.get(key) === entry && p.connections.delete(key)),
      () => p.connections.delete(key),
    );
    if (!p.exitHook) {
      p.exitHook = true;
      const closeAll = () => void closeConnections();
      process.once("beforeExit", closeAll);
      // A signal ends the process only once the operations under way are done: a connection
      // closed mid-take would leave subjects that no stream captures (in-flight.ts).
      const endOn = (code: number) => () => void whenIdle().then(closeConnections).finally(() => process.exit(code));
      process.once("SIGTERM", endOn(0));
      process.once("SIGINT", endOn(130));
    }
  }
  return (await entry).jsm;
}

/** Closes every pooled connection. */
export async function closeConnections(): Promise<void> {
  const p = pool();
  const entries = [...p.connections.values()];
  p.connections.clear();
  await Promise.all(entries.map((e) => e.then(({ nc }) => nc.close()).catch(() => undefined)));
}

/**
 * The server answers a failed store creation (a stream of the same name just deleted, its files
 * still going; a busy disk) as a generic create error, 10049 "error creating store for stream".
 */
export function isStoreCreationFailure(e: unknown): boolean {
  return e instanceof JetStreamApiError && e.code === 10049 && /error creating store/.test(e.message);
}

/** True for a fault that may pass on its own: no responders (503), timeouts, leaderless cluster. */
export function isTransient(e: unknown): boolean {
  if (e instanceof JetStreamOperationError) return e.transient;
  if (e instanceof JetStreamApiError) return TRANSIENT_ERR_CODES.has(e.code) || e.status === 503 || isStoreCreationFailure(e);
  if (e instanceof NoRespondersError || e instanceof TimeoutError) return true;
  if (e instanceof RequestError) return isTransient(e.cause) || /no responders|timeout/i.test(e.message);
  const msg = (e as Error)?.message ?? "";
  return /timeout|no responders|temporarily unavailable/i.test(msg);
}

export function errCodeOf(e: unknown): number | undefined {
  if (e instanceof JetStreamApiError) return e.code;
  if (e instanceof JetStreamOperationError) return e.errCode;
  return undefined;
}

/**
 * Runs `op`, retrying transient faults with exponential backoff until `budgetMs` has passed;
 * then, or on any other fault, fails with `what` and the server's answer.
 */
export async function withRetry<T>(what: string, c: ConnectionArgs, op: () => Promise<T>): Promise<T> {
  let failure: unknown;
  let attempts = 0;
  const done = await poll({ timeoutMs: c.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS, intervalMs: 100, maxIntervalMs: 2_000 }, async (n) => {
    attempts = n;
    try {
      return { value: await op() };
    } catch (e) {
      // Every server gone for longer than a connect attempt takes: say so now rather than wait out the budget.
      const away = await disconnectedForMs(c);
      if (away > (c.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS)) {
        throw new JetStreamOperationError(redact(`${what}: can not reach NATS at ${c.servers.join(", ")} (no server for ${Math.round(away / 1000)}s)`, secretsOf(c)));
      }
      if (!isTransient(e)) throw describe(what, e, c, n);
      failure = e;
      return undefined;
    }
  });
  if (done) return done.value;
  throw describe(what, failure, c, attempts);
}

/** The error a user sees: the operation, the server's words, the err_code; credentials redacted. */
export function describe(what: string, e: unknown, c: ConnectionArgs, attempts = 1): JetStreamOperationError {
  if (e instanceof JetStreamOperationError) return new JetStreamOperationError(redact(e.message, secretsOf(c)), e.errCode, e.transient);
  const code = errCodeOf(e);
  const base =
    e instanceof TimeoutError || (e instanceof RequestError && e.cause instanceof TimeoutError)
      ? `no answer from JetStream within ${c.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS} ms (the cluster may be electing a leader or missing a peer)`
      : ((e as Error)?.message ?? String(e));
  const tail = [code !== undefined ? `err_code ${code}` : undefined, attempts > 1 ? `after ${attempts} attempts` : undefined]
    .filter(Boolean)
    .join(", ");
  return new JetStreamOperationError(redact(`${what}: ${base}${tail ? ` (${tail})` : ""}`, secretsOf(c)), code, isTransient(e));
}
