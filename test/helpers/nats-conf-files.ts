/**
 * The stack's nats.conf laid out on disk as a NATS pod sees it: /etc/nats-config/nats.conf and
 * the passwords file it includes, /etc/nats-passwords/passwords.conf, with the users' passwords
 * hashed as the stack hashes them (nats-passwords.ts). For tests that run the real nats-server on
 * what the stack renders.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PASSWORDS_FILE, ROUTES_FILE, passwordHash, renderPasswordsConf, renderRoutesConf } from "../../components/kubernetes/nats-passwords";
import type { NatsUser } from "../../components/kubernetes/nats-users";

/** The route user's password in tests. */
export const TEST_ROUTE_PASSWORD = "testRoutePassword0123";

/** Writes `<dir>/nats-config/nats.conf` and `<dir>/nats-passwords/` (passwords.conf, routes.conf); gives the nats.conf path. */
export function writeNatsConfFiles(dir: string, conf: string, users: ReadonlyArray<NatsUser>, password: (name: string) => string, routes: readonly string[] = []): string {
  fs.mkdirSync(path.join(dir, "nats-config"), { recursive: true });
  fs.mkdirSync(path.join(dir, "nats-passwords"), { recursive: true });
  fs.writeFileSync(path.join(dir, "nats-passwords", PASSWORDS_FILE), renderPasswordsConf(users.filter((u) => !u.passwordless).map((u) => ({ user: u, hash: passwordHash(password(u.name), `test/${u.name}`) }))));
  fs.writeFileSync(path.join(dir, "nats-passwords", ROUTES_FILE), renderRoutesConf(routes, TEST_ROUTE_PASSWORD));
  const file = path.join(dir, "nats-config", "nats.conf");
  fs.writeFileSync(file, conf);
  return file;
}

/** The users' hashes as nats.conf variables, for a test that inlines them (a server started with extra configuration). */
export function passwordVariables(users: ReadonlyArray<NatsUser>, password: (name: string) => string): string {
  return renderPasswordsConf(users.filter((u) => !u.passwordless).map((u) => ({ user: u, hash: passwordHash(password(u.name), `test/${u.name}`) })));
}
