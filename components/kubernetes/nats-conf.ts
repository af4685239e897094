/**
 * nats.conf for the NATS StatefulSet, after the official Helm chart (nats-io/k8s): server name
 * from the pod, lame-duck shutdown, routes through the headless Service, JetStream file store on
 * the PVC sized from it, monitoring on 8222, and users whose passwords are bcrypt hashes bound to
 * variables in a file of their own, included from a Secret (nats-passwords.ts).
 */
import { SYSTEM_ACCOUNT, type NatsUser } from "./nats-users";
import { tlsBlock } from "./nats-tls";
import { PASSWORDS_INCLUDE, ROUTES_INCLUDE, passwordVariable } from "./nats-passwords";

export const CLIENT_PORT = 4222;
export const CLUSTER_PORT = 6222;
export const MONITOR_PORT = 8222;
export const PID_FILE = "/var/run/nats/nats.pid";
export interface NatsConfInput {
  /** StatefulSet name; pods are <name>-0, <name>-1, ... */
  name: string;
  headlessService: string;
  /** `store_dir` (nats-server stores in `<storeDir>/jetstream`) and the cluster's name: the live cluster's, when taken over (nats-layout.ts). */
  storeDir: string;
  clusterName: string;
  replicas: number;
  /** Kubernetes quantity of the PVC, e.g. "10Gi": JetStream may use all of it. */
  storageSize: string;
  users: NatsUser[];
  /** The user clients without credentials are signed in as (`no_auth_user`); none: they are refused. */
  noAuthUser?: string;
  /** TLS required of clients, and spoken on the routes (nats-tls.ts). */
  tls?: { clients: boolean; plainToo?: boolean; routes: boolean };
}

/** "10Gi" -> "10G" (nats.conf's 1024-based units), "500Mi" -> "500M". */
export function natsSize(quantity: string): string {
  const m = quantity.match(/^(\d+)(Ki|Mi|Gi|Ti)?$/);
  if (!m) throw new Error(`storage size "${quantity}" is not a whole Kubernetes quantity such as 10Gi`);
  return `${m[1]}${m[2] ? m[2][0] : ""}`;
}

const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;

/** The routes of a cluster: every server's cluster port, through the headless Service. */
export const natsRoutes = (i: Pick<NatsConfInput, "name" | "headlessService" | "replicas">) => Array.from({ length: i.replicas }, (_, n) => `nats://${i.name}-${n}.${i.headlessService}:${CLUSTER_PORT}`);

export function renderNatsConf(i: NatsConfInput): string {
  const routes = natsRoutes(i).map((r) => `    ${JSON.stringify(r)}`);
  const userLine = (u: NatsUser) =>
    `    { user: ${JSON.stringify(u.user)}, ${u.passwordless ? "" : `password: $${passwordVariable(u)}, `}permissions: { publish: { allow: ${list(u.publish)} }, subscribe: { allow: ${list(u.subscribe)} } } }`;
  const users = i.users.filter((u) => !u.account).map(userLine);
  const system = i.users.filter((u) => u.account === SYSTEM_ACCOUNT);
  return [
    `# The users' password hashes (${PASSWORDS_INCLUDE}, from a Secret), as quoted variables.`,
    `include ${JSON.stringify(PASSWORDS_INCLUDE)}`,
    ``,
    `server_name: $POD_NAME`,
    `port: ${CLIENT_PORT}`,
    `http_port: ${MONITOR_PORT}`,
    // Lame duck (the pods' preStop): a server hands its JetStream leaders over and stops JetStream
    // at once, but closes its clients only after the grace period, and until then their JetStream
    // requests fail ("jetstream is not enabled", timeouts). The StatefulSet rolls one server at a
    // time, so no client need wait for another server to enter lame duck: with 10s (the chart's),
    // a caller of ingest retried for 16.4 s in the secured walk.
    `lame_duck_grace_period: 2s`,
    `lame_duck_duration: 30s`,
    `pid_file: "${PID_FILE}"`,
    ...(i.tls?.clients && !i.tls.plainToo ? [``, `# Every client speaks TLS (the certificate from kubernetes.nats.tls.secretName).`, ...tlsBlock("")] : []),
    ...(i.tls?.plainToo ? [``, `# TLS offered to every client (the certificate from kubernetes.nats.tls.secretName), plain ones still taken (stage "offer").`, ...tlsBlock(""), `allow_non_tls: true`] : []),
    ``,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(i.storeDir)}`,
    `  max_memory_store: 0`,
    `  max_file_store: ${natsSize(i.storageSize)}`,
    `}`,
    ...(i.replicas > 1
      ? [
          ``,
          `cluster {`,
          `  name: ${JSON.stringify(i.clusterName)}`,
          `  port: ${CLUSTER_PORT}`,
          `  no_advertise: true`,
          `  routes: [`,
          ...routes,
          `  ]`,
          `  # Route authorization, and the routes above with the route user's credentials (${ROUTES_INCLUDE}, from a Secret).`,
          `  include ${JSON.stringify(ROUTES_INCLUDE)}`,
          ...(i.tls?.routes ? tlsBlock("  ") : []),
          `}`,
        ]
      : []),
    ``,
    ...(i.noAuthUser ? [`# Clients without credentials are signed in as this user (kubernetes.nats.anonymousClients: allow).`, `no_auth_user: ${JSON.stringify(i.noAuthUser)}`, ``] : []),
    ...(system.length
      ? [
          `# The system account, for the servers' own reports; the streams stay in the global account.`,
          `accounts {`,
          `  ${SYSTEM_ACCOUNT}: {`,
          `    users: [`,
          ...system.map((u) => `  ${userLine(u)}`),
          `    ]`,
          `  }`,
          `}`,
          `system_account: ${SYSTEM_ACCOUNT}`,
          ``,
        ]
      : []),
    `authorization {`,
    `  users: [`,
    ...users,
    `  ]`,
    `}`,
    ``,
  ].join("\n");
}
