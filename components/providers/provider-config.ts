/**
 * What the providers take from the stack configuration (the engine gives a dynamic provider the
 * whole of it in `configure`) and from the program's new inputs.
 *
 * `event-bus:forceDelete` as the configuration says now: a delete has only the state of the
 * resource's last update, so without it the opt-in would not reach a stream or durable that the
 * same `up` removes (a phase that retires the legacy stream, a rollback that deletes a durable).
 *
 * The connection an operation signs in with. Check, diff, create and update carry the program's
 * connection in their new inputs. Delete and read have only what the state stored at the
 * resource's last update, which a rotated password or moved servers in the same `up` make stale.
 * So delete and read try, in order:
 * 1. the connection this deployment's program declares (the new inputs this provider process has
 *    checked, when they all agree);
 * 2. the stored one with the stack configuration's current servers and credentials (`pulumi
 *    destroy` and `refresh` run no program; the engine gives dynamic providers the whole stack
 *    configuration);
 * 3. the stored one.
 * The first that signs in is used.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { connectionKey } from "../jetstream/client";
import { connectionSchema, type ConnectionArgs } from "../jetstream/connection-args";
import { SECRET_KEYS } from "../config/secret-keys";
import { connect } from "./jetstream-resource";
import { connectionForTlsStage, type NatsTls } from "../kubernetes/nats-tls";

/** The stack configuration as the engine gives it to a dynamic provider's `configure`. */
export interface ProviderConfig {
  get(key: string): string | undefined;
}

/** Each credential field, by the way of signing in it belongs to. */
const AUTH_WAY = { credsFile: "creds", creds: "creds", user: "user", password: "user", passwordEnv: "user", preview: "user", token: "token", nkeySeed: "nkey" } as const;
const AUTH_FIELDS = Object.keys(AUTH_WAY) as Array<keyof typeof AUTH_WAY>;

const declared = new Map<string, ConnectionArgs>();
let configured: Partial<ConnectionArgs> = {};
let forceDeleteConfigured = false;

/** Notes the connection a resource's new inputs carry (ignored until it is known and valid). */
export function declare(connection: unknown): void {
  const parsed = connectionSchema.safeParse(connection);
  if (parsed.success) declared.set(connectionKey(parsed.data), parsed.data);
}

/** The servers and credentials the stack configuration gives now: `event-bus:nats` and the secret keys. */
export function connectionFromConfig(config: ProviderConfig): Partial<ConnectionArgs> {
  const out: Record<string, unknown> = {};
  const nats = config.get("event-bus:nats");
  if (nats) {
    try {
      const plain = JSON.parse(nats) as Record<string, unknown>;
      for (const k of ["servers", "user", "passwordEnv", "preview", "credsFile", "tls"]) if (plain[k] !== undefined) out[k] = plain[k];
    } catch {
      /* not an object: the program's check names it */
    }
  }
  for (const [key, field] of Object.entries(SECRET_KEYS)) {
    const v = config.get(`event-bus:${key}`);
    if (v) out[field] = v;
  }
  // As the program does: plain only while the servers do not require TLS yet (nats-tls.ts).
  return connectionForTlsStage(out as Partial<ConnectionArgs>, tlsStageOf(config.get("event-bus:kubernetes")));
}

/** The servers' TLS stage from the raw `event-bus:kubernetes` value (the program validates it; here only its stage matters). */
function tlsStageOf(kubernetes: string | undefined): NatsTls | undefined {
  try {
    const tls = (JSON.parse(kubernetes ?? "null") as { nats?: { tls?: { secretName?: string; stage?: NatsTls["stage"] } } } | null)?.nats?.tls;
    return tls ? { secretName: tls.secretName ?? "", stage: tls.stage ?? "on", routes: true } : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the stack configuration (the providers' `configure`). */
export function configureFrom(config: ProviderConfig): void {
  configured = connectionFromConfig(config);
  forceDeleteConfigured = config.get("event-bus:forceDelete") === "true";
}

/** Whether a delete may drop what it holds: the resource's stored opt-in, or the stack configuration's now. */
export const forceDeleteOf = (stored: boolean | undefined): boolean => stored === true || forceDeleteConfigured;

/** The connections to try for a stored one, most current first, each once. */
export function candidates(stored: ConnectionArgs, state: { declared: ConnectionArgs[]; configured: Partial<ConnectionArgs> } = { declared: [...declared.values()], configured }): ConnectionArgs[] {
  const out: ConnectionArgs[] = [];
  if (state.declared.length === 1) out.push(state.declared[0]);
  // Credentials of another way to sign in replace the stored ones (a connection has one way).
  const ways = new Set(AUTH_FIELDS.filter((k) => state.configured[k] !== undefined).map((k) => AUTH_WAY[k]));
  const base: Record<string, unknown> = { ...stored };
  if (ways.size) for (const k of AUTH_FIELDS) if (!ways.has(AUTH_WAY[k])) delete base[k];
  // A password comes from one place: the configuration's variable replaces a stored password, and the reverse.
  if (state.configured.passwordEnv !== undefined) delete base.password;
  if (state.configured.password !== undefined) delete base.passwordEnv, delete base.preview;
  const overlaid = connectionSchema.safeParse({ ...base, ...state.configured });
  if (overlaid.success) out.push(overlaid.data);
  out.push(stored);
  const seen = new Set<string>();
  return out.filter((c) => {
    const k = connectionKey(c);
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** Signs in with the first candidate that works; fails with the last one's error. */
export async function reach(what: string, stored: ConnectionArgs): Promise<{ jsm: JetStreamManager; connection: ConnectionArgs }> {
  const tries = candidates(stored);
  for (let i = 0; ; i++) {
    try {
      return { jsm: await connect(what, tries[i]), connection: tries[i] };
    } catch (e) {
      if (i === tries.length - 1) throw e;
    }
  }
}
