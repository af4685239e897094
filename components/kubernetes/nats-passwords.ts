/**
 * How the NATS servers learn the users' passwords: as bcrypt hashes, written as quoted strings
 * into a file of variables (`passwords.conf`) that nats.conf includes from a Secret. nats-server
 * reads a quoted string exactly, and compares a password that starts with `$2` as a bcrypt hash;
 * so the plaintext never reaches the server, and no character of a password is special (an
 * environment variable referenced as `$VAR` is parsed as configuration: whitespace, `,`, `;`, `]`,
 * `}`, a leading quote, `yes` or `true` would change it). The one exception is the servers' own
 * route password, which nats-server has to send itself (routes.conf, below). Pure.
 */
import { createHash, createHmac } from "node:crypto";
import * as bcrypt from "bcryptjs";
import { credentialKey, type NatsUser } from "./nats-users";

/** Where the Secret with passwords.conf is mounted, and how nats.conf (in /etc/nats-config) includes it: relative to its own directory, as nats-server resolves includes. */
export const PASSWORDS_DIR = "/etc/nats-passwords";
export const PASSWORDS_FILE = "passwords.conf";
export const PASSWORDS_INCLUDE = `../nats-passwords/${PASSWORDS_FILE}`;
/** The Secret that holds passwords.conf (hashes only) and routes.conf (the route password in plaintext). */
export const PASSWORDS_SECRET = "event-bus-nats-passwords";

/**
 * Route authorization: the NATS servers accept a route only from a server that signs in as this
 * user, so a pod that reaches the cluster port can not join the cluster and bypass client
 * authorization. nats-server takes a route's credentials only from its URL, so routes.conf (in
 * the Secret, included in nats.conf's cluster block) gives the routes again, with them.
 */
export const ROUTE_USER = "event-bus-route";
export const ROUTES_FILE = "routes.conf";
export const ROUTES_INCLUDE = `../nats-passwords/${ROUTES_FILE}`;

/** "require": the servers send the route credentials and require them; "offer": they send them and require none (a cluster taken over, whose servers do not send any yet). */
export type RouteAuthorization = "require" | "offer";

/**
 * routes.conf: the cluster's authorization (not when only offered) and the routes, each with the
 * route user's credentials in its URL.
 *
 * The authorization's password is the plaintext, not a bcrypt hash, because nats-server also
 * signs in with it: a server it hears of by gossip from a route (not one of its configured routes:
 * `hasThisRouteConfigured` in nats-server's server/route.go compares the gossiped host:port as
 * written, and the routes here are DNS names `<pod>.<headless service>` while the gossip gives
 * pod IPs) is routed to implicitly, by `processImplicitRoute`, with
 * `url.UserPassword(opts.Cluster.Username, opts.Cluster.Password)`, the authorization's own user
 * and password. With a hash there, `comparePasswords` (server/auth.go) on the other side compared
 * the hash as a password to the hash and refused it ("authentication error"), again and again:
 * servers that met only by gossip never routed to each other (test/kubernetes/
 * route-authorization.server.test.ts, implicit routes). routes.conf holds the plaintext in the
 * routes' URLs anyway, and lives in the same Secret; the password can not start with `$`, so
 * nats-server never reads it as a bcrypt hash (`isBcrypt`).
 */
export function renderRoutesConf(routes: readonly string[], password: string, mode: RouteAuthorization = "require"): string {
  if (!/^[A-Za-z0-9._~-]+$/.test(password)) throw new Error("the route password must be letters, digits and . _ ~ - (it is written into the routes' URLs as it is)");
  const withCredentials = routes.map((r) => r.replace(/^nats:\/\//, `nats://${ROUTE_USER}:${password}@`));
  const authorization = mode === "require" ? [`authorization { user: ${JSON.stringify(ROUTE_USER)}, password: ${JSON.stringify(password)} }`] : [];
  return [...authorization, `routes: [`, ...withCredentials.map((r) => `  ${JSON.stringify(r)}`), `]`, ``].join("\n");
}

/** bcrypt's cost (2^11 rounds; nats-server's own `nats server passwd` uses 11). */
export const BCRYPT_COST = 11;
/** bcrypt reads only the first 72 bytes of a password: a longer one would let in every password with the same start. */
export const BCRYPT_MAX_BYTES = 72;

/** The nats.conf variable a user's hash is bound to. */
export const passwordVariable = (u: Pick<NatsUser, "name" | "slot">) => `PASSWORD_${credentialKey(u).toUpperCase().replace(/-/g, "_")}`;

/**
 * A password's bcrypt hash, the same on every run for the same user and password (so that a
 * preview shows no change and nothing rolls): the salt is an HMAC of the password keyed by the
 * stack and the user, instead of random.
 */
export function passwordHash(password: string, saltKey: string): string {
  if (Buffer.byteLength(password, "utf8") > BCRYPT_MAX_BYTES) throw new Error(`a NATS password is longer than ${BCRYPT_MAX_BYTES} bytes, which bcrypt would cut short`);
  const seed = createHmac("sha256", `event-bus nats password salt ${saltKey}`).update(password, "utf8").digest().subarray(0, 16);
  const salt = `$2a$${String(BCRYPT_COST).padStart(2, "0")}$${bcrypt.encodeBase64(seed, 16)}`;
  return bcrypt.hashSync(password, salt);
}

/** passwords.conf: one quoted variable per user. */
export function renderPasswordsConf(hashes: ReadonlyArray<{ user: Pick<NatsUser, "name" | "slot">; hash: string }>): string {
  return hashes.map((h) => `${passwordVariable(h.user)}: ${JSON.stringify(h.hash)}`).join("\n") + "\n";
}

/** A digest of what the servers were given, for the pod templates: a changed password rolls the pods that use it. Not secret (a digest of hashes). */
export const passwordsChecksum = (text: string) => createHash("sha256").update(text).digest("hex");
