/**
 * The NATS users of the bus and what each may do, least privilege first: ingest only publishes
 * its subjects, normalize only reads its durables and writes dead letters, and the stack's admin
 * user (the providers) manages JetStream. Passwords are never here: nats.conf refers to
 * environment variables that Kubernetes fills from Secrets.
 */
import { consumerSettings, type StackConfig } from "../config/stack-config";
import { CATALOGUE, publishedSubjects, type Catalogue } from "../topology/catalogue";

export interface NatsUser {
  /** The service (and the Secret `event-bus-nats-<name>` that holds its password). */
  name: "admin" | "ingest" | "normalize";
  user: string;
  /** The environment variable nats.conf reads the password from. */
  passwordEnv: string;
  publish: string[];
  subscribe: string[];
}

/** The users, from the catalogue: what ingest publishes, the durables normalize reads and where it sends dead letters. */
export function natsUsers(c: StackConfig, catalogue: Catalogue = CATALOGUE): NatsUser[] {
  const normalize = catalogue.consumers.filter((e) => e.service === "normalize-service").map((e) => consumerSettings(c, e));
  const durables = normalize.map((s) => s.durable);
  return [
    { name: "admin", user: "event-bus-admin", passwordEnv: "NATS_ADMIN_PASSWORD", publish: [">"], subscribe: [">"] },
    {
      name: "ingest",
      user: "ingest-service",
      passwordEnv: "NATS_INGEST_PASSWORD",
      publish: publishedSubjects(catalogue),
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
        // The seeds log it as the "DLQ subject prefix": the subject itself, and any subject under it.
        ...new Set(normalize.flatMap((s) => [s.dlqSubject, `${s.dlqSubject}.>`])),
      ],
      subscribe: ["_INBOX.>"],
    },
  ];
}
