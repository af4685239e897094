/**
 * The providers' connection judged whole once its secret values are known, each problem named by
 * the stack key that sets it: a secret by its `event-bus:nats<Secret>` key, the rest by
 * `event-bus:nats.<field>`. The stack configuration is judged with placeholders for the secrets
 * (their values are outputs), so without this a bad secret would fail every resource's check,
 * named `connection.<field>`.
 */
import { connectionSchema, type ConnectionArgs } from "../jetstream/connection-args";
import { formatPath } from "../jetstream/validation";
import { SECRET_KEYS } from "./secret-keys";

/** Each problem of a connection as { key, reason }, the key without its `event-bus:` namespace; the values themselves never appear. */
export function connectionProblems(connection: Partial<ConnectionArgs>): Array<{ key: string; reason: string }> {
  const r = connectionSchema.safeParse(connection);
  if (r.success) return [];
  const secretKeyOf = Object.fromEntries(Object.entries(SECRET_KEYS).map(([key, field]) => [field, key]));
  return r.error.issues.map((issue) => {
    const [top] = issue.path;
    const key = typeof top === "string" && secretKeyOf[top] ? secretKeyOf[top] : issue.path.length ? `nats.${formatPath(issue.path)}` : "nats";
    return { key, reason: issue.message };
  });
}
