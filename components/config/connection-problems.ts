/**
 * The providers' connection judged whole once its secret values are known, each problem named by
 * the stack key that sets it: a secret by its `event-bus:nats<Secret>` key, the rest by
 * `event-bus:nats.<field>`. The stack configuration is judged with placeholders for the secrets
 * (their values are outputs), so without this a bad secret would fail every resource's check,
 * named `connection.<field>`.
 */
import * as fs from "node:fs";
import { connectionSchema, type ConnectionArgs } from "../jetstream/connection-args";
import { formatPath } from "../jetstream/validation";
import { SECRET_KEYS } from "./secret-keys";

/** Each problem of a connection as { key, reason }, the key without its `event-bus:` namespace; the values themselves never appear. */
export function connectionProblems(connection: Partial<ConnectionArgs>): Array<{ key: string; reason: string }> {
  const r = connectionSchema.safeParse(connection);
  if (r.success) return tlsFileProblems(r.data);
  const secretKeyOf = Object.fromEntries(Object.entries(SECRET_KEYS).map(([key, field]) => [field, key]));
  return r.error.issues.map((issue) => {
    const [top] = issue.path;
    const key = typeof top === "string" && secretKeyOf[top] ? secretKeyOf[top] : issue.path.length ? `nats.${formatPath(issue.path)}` : "nats";
    return { key, reason: issue.message };
  });
}

/**
 * A TLS file the providers would read when they connect (the CA, a client certificate or key)
 * exists now, before anything changes: named by its key, relative paths from the directory
 * `pulumi` runs in (the project's). PEM text is taken as it is.
 */
export function tlsFileProblems(c: Pick<ConnectionArgs, "tls">, exists: (path: string) => boolean = fs.existsSync): Array<{ key: string; reason: string }> {
  return (["ca", "cert", "key"] as const)
    .filter((k) => {
      const v = c.tls?.[k];
      return v !== undefined && !v.includes("-----BEGIN") && !v.includes("\n") && !exists(v);
    })
    .map((k) => ({ key: `nats.tls.${k}`, reason: `expected PEM text or a file that exists: ${c.tls![k]} was not found (a relative path is read from the directory pulumi runs in)` }));
}
