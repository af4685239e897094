/**
 * The NATS users of the bus and what each may do, least privilege first: ingest only publishes
 * its subjects, normalize only reads its durables and writes dead letters, and the stack's admin
 * user (the providers) manages JetStream. Passwords are never here: nats.conf refers to
 * environment variables that Kubernetes fills from Secrets.
 */
import type { StackConfig } from "../config/stack-config";

export interface NatsUser {
  /** The service (and the Secret `event-bus-nats-<name>` that holds its password). */
  name: "admin" | "ingest" | "normalize";
  user: string;
  /** The environment variable nats.conf reads the password from. */
  passwordEnv: string;
  publish: string[];
  subscribe: string[];
}

export function natsUsers(c: StackConfig): NatsUser[] {
  const durables = [c.hrvConsumer.durable, c.vendorConsumer.durable];
  return [
    { name: "admin", user: "event-bus-admin", passwordEnv: "NATS_ADMIN_PASSWORD", publish: [">"], subscribe: [">"] },
    {
      name: "ingest",
      user: "ingest-service",
      passwordEnv: "NATS_INGEST_PASSWORD",
      publish: ["athlete-ally.>", "sleep.*", "vendor.>"],
      subscribe: ["_INBOX.>"],
    },
    {
      name: "normalize",
      user: "normalize-service",
      passwordEnv: "NATS_NORMALIZE_PASSWORD",
      publish: [
        ...durables.flatMap((d) => [`$JS.API.CONSUMER.INFO.*.${d}`, `$JS.API.CONSUMER.MSG.NEXT.*.${d}`, `$JS.ACK.*.${d}.>`]),
        "$JS.API.STREAM.INFO.*",
        "$JS.API.INFO",
        "dlq.>",
      ],
      subscribe: ["_INBOX.>"],
    },
  ];
}
