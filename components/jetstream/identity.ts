/**
 * Who a connection signs in as. A connection whose password is kept out of the stack
 * (`passwordEnv`: the variable is set only in the deploy job's environment) signs in as its user
 * when that variable is set: an `up`. Without it, a preview signs in as the read-only preview user
 * (`preview`), whose replies come to an inbox of its own: it may read stream and durable
 * information and nothing else (nats-users.ts), so a pull request's program and providers can
 * not write to the bus. Pure.
 */
import type { ConnectionArgs } from "./connection-args";

/** The read-only NATS user previews sign in as, and the inbox prefix its replies come to (only its own). */
export const PREVIEW_USER = "event-bus-preview";
export const PREVIEW_INBOX_PREFIX = "_INBOX_PREVIEW";

/** The environment a connection reads passwords from. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A connection with its identity chosen: the user and password to send, and the inbox prefix. */
export type SignIn = Omit<ConnectionArgs, "passwordEnv" | "preview"> & { inboxPrefix?: string };

/** Which identity a connection signs in as here: "own" (its user), "preview", or none (the message says which variables to set). */
export function identityOf(c: ConnectionArgs, env: Env): { as: "own" | "preview" } | { as: "none"; why: string } {
  if (!c.passwordEnv || env[c.passwordEnv]) return { as: "own" };
  if (c.preview && env[c.preview.passwordEnv]) return { as: "preview" };
  const preview = c.preview ? `, nor ${c.preview.passwordEnv} (event-bus:nats.preview.passwordEnv: the read-only ${c.preview.user}, for a preview)` : "";
  return { as: "none", why: `neither ${c.passwordEnv} (event-bus:nats.passwordEnv: ${c.user}'s password) is set in the environment of the process that runs pulumi${preview}` };
}

/** The connection as it signs in here. Throws when no identity's password is in the environment. */
export function signIn(c: ConnectionArgs, env: Env = process.env): SignIn {
  const { passwordEnv, preview, ...rest } = c;
  const who = identityOf(c, env);
  if (who.as === "none") throw new Error(`can not sign in to NATS: ${who.why}`);
  if (!passwordEnv) return rest;
  if (who.as === "own") return { ...rest, password: env[passwordEnv]! };
  return { ...rest, user: preview!.user, password: env[preview!.passwordEnv]!, inboxPrefix: PREVIEW_INBOX_PREFIX };
}
