/**
 * Whether this run may sign in as the stack's connection says, judged before anything is planned:
 * an `up` needs the password its environment holds (event-bus:nats.passwordEnv), a preview that
 * or the read-only preview user's; and on a stack that runs the servers, the password must be the
 * one whose hash the servers get, or the `up` would lock the providers out. Pure; each problem
 * names the key and never the value.
 */
import * as bcrypt from "bcryptjs";
import { identityOf, type Env } from "../jetstream/identity";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { slotsOf, type PasswordSlots } from "../kubernetes/nats-users";

export function identityProblems(
  c: ConnectionArgs,
  hashes: { admin?: string; "admin-b"?: string; preview?: string } | undefined,
  env: Env,
  dryRun: boolean,
  adminSlots?: PasswordSlots,
): Array<{ key: string; reason: string }> {
  if (!c.passwordEnv) return [];
  const who = identityOf(c, env);
  if (who.as === "none") return [{ key: "nats.passwordEnv", reason: `expected a password in the environment: ${who.why}` }];
  if (who.as === "preview" && !dryRun) {
    return [{ key: "nats.passwordEnv", reason: `expected ${c.passwordEnv} to be set for an update: only ${c.preview!.passwordEnv} is, whose user (${c.preview!.user}) may only read` }];
  }
  // The admin signs in with the slot kubernetes.nats.passwordSlots.admin says (slotsOf).
  const adminKey = slotsOf(adminSlots, "admin").use === "b" ? "admin-b" : "admin";
  const [key, name, hash] = who.as === "own" ? ([adminKey, c.passwordEnv, hashes?.[adminKey]] as const) : (["preview", c.preview!.passwordEnv, hashes?.preview] as const);
  if (hash && !bcrypt.compareSync(env[name]!, hash)) {
    return [{ key: `kubernetes.nats.passwordHashes.${key}`, reason: `expected the hash of the password ${name} holds: they do not match, so the servers would refuse it` }];
  }
  return [];
}
