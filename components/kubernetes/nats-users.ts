/**
 * The NATS users of the bus and what each may do, least privilege first: ingest only publishes
 * its subjects, normalize only reads its durables and writes dead letters, and the stack's admin
 * user (the providers) manages JetStream. Passwords are never here: nats.conf refers to
 * environment variables that Kubernetes fills from Secrets.
 */
import { consumerSettings, type NatsUserName, type StackConfig } from "../config/stack-config";
import { CATALOGUE, publishedSubjects, type Catalogue } from "../topology/catalogue";

export interface NatsUser {
  /** The service (and the Secret `event-bus-nats-<name>` that holds its password). */
  name: NatsUserName | "anonymous";
  user: string;
  /** The environment variable nats.conf reads the password from. */
  passwordEnv: string;
  publish: string[];
  subscribe: string[];
}

/**
 * The user every client that connects without credentials is signed in as while
 * `kubernetes.nats.anonymousClients` is "allow" (nats.conf's `no_auth_user`): the first stage of
 * turning authorization on under a live bus whose clients connect without credentials (the seeds'
 * NATS_URLs carry no user). It may do what every client could before: publish and subscribe to
 * everything. `npm run anonymous-clients` lists who still connects that way; "deny" closes the door.
 */
export const ANONYMOUS_USER: NatsUser = { name: "anonymous", user: "event-bus-anonymous", passwordEnv: "NATS_ANONYMOUS_PASSWORD", publish: [">"], subscribe: [">"] };

/** The users, from the catalogue: what ingest publishes, the durables normalize reads and where it sends dead letters; and the anonymous one while allowed. */
export function natsUsers(c: StackConfig, catalogue: Catalogue = CATALOGUE, opts: { anonymous?: boolean } = {}): NatsUser[] {
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
    ...(opts.anonymous ? [ANONYMOUS_USER] : []),
  ];
}
