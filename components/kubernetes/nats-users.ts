/**
 * The NATS users of the bus and what each may do, least privilege first: ingest only publishes
 * its subjects, normalize only reads its durables and writes dead letters, and the stack's admin
 * user (the providers) manages JetStream. Passwords are never here: nats.conf refers to their
 * bcrypt hashes (nats-passwords.ts), the services read them from Secrets.
 */
import { consumerSettings, type NatsUserName, type StackConfig } from "../config/stack-config";
import { PREVIEW_INBOX_PREFIX, PREVIEW_USER } from "../jetstream/identity";
import { CATALOGUE, publishedSubjects, type Catalogue } from "../topology/catalogue";

export interface NatsUser {
  /** The service (and the Secret `event-bus-nats-<name>` that holds its password). */
  name: NatsUserName | "anonymous" | "preview" | "system";
  user: string;
  publish: string[];
  subscribe: string[];
  /** Signed in without a password: nats.conf gives it none (nats-server's no_auth_user compares the user's password with itself, which fails for a bcrypt hash). */
  passwordless?: true;
  /** The bcrypt hash of a password kept out of the stack (kubernetes.nats.passwordHashes): no Secret, no password in the state. */
  hash?: string;
  /** The account it belongs to, when not the one the streams are in (nats.conf's global account). */
  account?: typeof SYSTEM_ACCOUNT;
  /** A service user's second password slot (kubernetes.nats.passwordSlots): signs in as `<user>-b`, with a password and a Secret of its own. */
  slot?: "b";
  /** Accepted by the servers, used by no service: the slot a rotation leaves (or goes to, while the servers learn it). */
  standby?: true;
}

/**
 * A service user's password slots, for a password change that locks nobody out
 * (kubernetes.nats.passwordSlots): nats-server knows one password per user name, so each service
 * user has two names, slot a (`ingest-service`) and slot b (`ingest-service-b`), each with a
 * password of its own. "a" or "b": the servers accept that slot only, and the service signs in
 * with it. "a>b": the servers accept both, the service signs in with b (one `up`: the NATS pods
 * roll first, then the service's, so every pod's password is accepted by every server); the next
 * `up` goes to "b", and the servers forget a. "b>a" and "a" rotate back, to a new password.
 */
export const PASSWORD_SLOTS = ["a", "b", "a>b", "b>a"] as const;
export type PasswordSlots = (typeof PASSWORD_SLOTS)[number];
/** The users whose passwords rotate through slots: the services', and the admin's (the providers'). */
export const SLOTTED_USERS = ["admin", "ingest", "normalize"] as const;
export type SlottedUser = (typeof SLOTTED_USERS)[number];

/**
 * Which slot a user signs in with, and which other one the servers still accept. Pure.
 * A service moves in the `up` that teaches the servers its new slot ("a>b": it signs in with b,
 * its pods rolling after the NATS pods'). The admin can not: its password is the `up`'s own
 * environment, and the `up` signs in before the NATS pods roll. So with "a>b" the admin still
 * signs in with a; the deploy job's secret then changes to b's password, and the next `up` ("b")
 * signs in with b, which every server knows by then, and the servers forget a.
 */
export function slotsOf(s: PasswordSlots = "a", user: SlottedUser = "ingest"): { use: "a" | "b"; standby?: "a" | "b" } {
  const [from, to] = s.split(">") as Array<"a" | "b">;
  if (!to) return { use: from };
  return user === "admin" ? { use: from, standby: to } : { use: to, standby: from };
}

/** The admin's user name and credential key in the slot an `up` signs in with (slotsOf). */
export function adminInUse(slots?: PasswordSlots): { user: string; key: string } {
  return slotsOf(slots, "admin").use === "b" ? { user: `${ADMIN_USER}-b`, key: "admin-b" } : { user: ADMIN_USER, key: "admin" };
}

/** What names a user's password, Secret and nats.conf variable: its name, and `-b` for slot b. */
export const credentialKey = (u: Pick<NatsUser, "name" | "slot">) => (u.slot === "b" ? `${u.name}-b` : u.name);

/** The bcrypt hashes of passwords kept out of the stack, by credential key (kubernetes.nats.passwordHashes). */
export type PasswordHashes = Partial<Record<"admin" | "admin-b" | "preview" | "system" | "ingest" | "ingest-b" | "normalize" | "normalize-b", string>>;

/**
 * The Secret a service's password comes from when its slot is kept out of the stack (a hash in
 * kubernetes.nats.passwordHashes): made by the password's owner (`npm run nats-password`), or by a
 * secrets operator, never by the stack. Its name is not the stack's own Secret's
 * (`event-bus-nats-<key>`), so that the stack, retiring its own, never deletes it.
 */
export const externalPasswordSecretName = (u: Pick<NatsUser, "name" | "slot">) => `event-bus-nats-${credentialKey(u)}-external`;

/** A user in each slot the servers accept, the one it signs in with first; `hashes` gives a slot's hash when its password is kept out of the stack. */
function inSlots(u: NatsUser & { name: SlottedUser }, slots: PasswordSlots | undefined, hashes: Partial<Record<"a" | "b", string>> = {}): NatsUser[] {
  const { use, standby } = slotsOf(slots, u.name);
  const at = (slot: "a" | "b"): NatsUser => {
    const base: NatsUser = slot === "b" ? { ...u, user: `${u.user}-b`, slot: "b" } : { ...u };
    delete base.hash;
    return hashes[slot] ? { ...base, hash: hashes[slot] } : base;
  };
  return [at(use), ...(standby ? [{ ...at(standby), standby: true as const }] : [])];
}

/**
 * The system account and its one user, for people: the servers' own reports (`nats server list`,
 * `nats server report jetstream`: $SYS.REQ.>), which no application account sees. It holds no
 * stream and reaches none: the streams stay in the global account, as before.
 */
export const SYSTEM_ACCOUNT = "SYS" as const;
/** The providers' user (slot a; `event-bus-admin-b` in slot b). */
export const ADMIN_USER = "event-bus-admin";
export const SYSTEM_USER = "event-bus-system";

/**
 * The read-only user previews sign in as (identity.ts): JetStream's account, stream and durable
 * information and names, nothing else; replies come to an inbox of its own, which no other user
 * may read (the services' `_INBOX.>` does not cover it).
 */
export const PREVIEW_PERMISSIONS = {
  publish: ["$JS.API.INFO", "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.API.CONSUMER.INFO.*.*", "$JS.API.CONSUMER.NAMES.*", "$JS.API.CONSUMER.LIST.*"],
  subscribe: [`${PREVIEW_INBOX_PREFIX}.>`],
};

/**
 * The user every client that connects without credentials is signed in as while
 * `kubernetes.nats.anonymousClients` is "allow" (nats.conf's `no_auth_user`): the first stage of
 * turning authorization on under a live bus whose clients connect without credentials (the seeds'
 * NATS_URLs carry no user). It may do what every client could before: publish and subscribe to
 * everything. `npm run anonymous-clients` lists who still connects that way; "deny" closes the door.
 */
export const ANONYMOUS_USER: NatsUser = { name: "anonymous", user: "event-bus-anonymous", publish: [">"], subscribe: [">"], passwordless: true };

/** The users, from the catalogue: what ingest publishes, the durables normalize reads and where it sends dead letters; and the anonymous one while allowed. */
export function natsUsers(c: StackConfig, catalogue: Catalogue = CATALOGUE, opts: { anonymous?: boolean; hashes?: PasswordHashes; slots?: Partial<Record<SlottedUser, PasswordSlots>> } = {}): NatsUser[] {
  const normalize = catalogue.consumers.filter((e) => e.service === "normalize-service").map((e) => consumerSettings(c, e));
  const durables = normalize.map((s) => s.durable);
  return [
    ...inSlots({ name: "admin", user: ADMIN_USER, publish: [">"], subscribe: [">"] }, opts.slots?.admin, { a: opts.hashes?.admin, b: opts.hashes?.["admin-b"] }),
    ...(opts.hashes?.preview ? [{ name: "preview" as const, user: PREVIEW_USER, ...PREVIEW_PERMISSIONS, hash: opts.hashes.preview }] : []),
    ...inSlots(
      {
        name: "ingest",
        user: "ingest-service",
        publish: publishedSubjects(catalogue),
        subscribe: ["_INBOX.>"],
      },
      opts.slots?.ingest,
      { a: opts.hashes?.ingest, b: opts.hashes?.["ingest-b"] },
    ),
    ...inSlots(
      {
        name: "normalize",
        user: "normalize-service",
        publish: [
          ...durables.flatMap((d) => [`$JS.API.CONSUMER.INFO.*.${d}`, `$JS.API.CONSUMER.MSG.NEXT.*.${d}`, `$JS.ACK.*.${d}.>`]),
          "$JS.API.STREAM.INFO.*",
          "$JS.API.INFO",
          // The seeds log it as the "DLQ subject prefix": the subject itself, and any subject under it.
          ...new Set(normalize.flatMap((s) => [s.dlqSubject, `${s.dlqSubject}.>`])),
        ],
        subscribe: ["_INBOX.>"],
      },
      opts.slots?.normalize,
      { a: opts.hashes?.normalize, b: opts.hashes?.["normalize-b"] },
    ),
    ...(opts.anonymous ? [ANONYMOUS_USER] : []),
    ...(opts.hashes?.system ? [{ name: "system" as const, user: SYSTEM_USER, publish: [">"], subscribe: [">"], hash: opts.hashes.system, account: SYSTEM_ACCOUNT }] : []),
  ];
}
