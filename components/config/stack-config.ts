/**
 * The stack's configuration: every key, its default per environment, and one validation that
 * fails with the key's path and what was expected. `pulumi config` values arrive as strings or
 * JSON objects; readStackConfig() is the only place that reads them.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { connectionSchema } from "../jetstream/connection-args";
import { duration, formatPath, name, positiveInt, replicas, subject } from "../jetstream/validation";
import { coveredBy } from "../jetstream/subjects";
import { CATALOGUE, STREAM_ROLES, subjectsByPhase, type Catalogue, type ConsumerEntry, type StreamRole } from "../topology/catalogue";

export const ENVIRONMENTS = ["local", "staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The seeds' migration: 0 DLQ added, 1 vendor subjects moved, 2 core subjects moved, 3 legacy retired. */
export const PHASES = [0, 1, 2, 3] as const;
export type Phase = (typeof PHASES)[number];

/** Replicas per environment unless `replicas` says otherwise. */
export const DEFAULT_REPLICAS: Record<Environment, number> = { local: 1, staging: 1, production: 3 };

const boolFromString = (key: string) =>
  z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean({ error: `expected ${key} to be true or false` }));
const intFromString = (inner: z.ZodNumber) => z.preprocess((v) => (typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v), inner);

const defaultNames = Object.fromEntries(STREAM_ROLES.map((r) => [r, CATALOGUE.streams[r].name])) as Record<StreamRole, string>;

/** The streams' names (the seeds' STREAM_LEGACY_NAME, STREAM_CORE_NAME, ...), defaults from the catalogue. */
export const streamNamesSchema = z
  .strictObject({
    legacy: name("legacy stream").default(defaultNames.legacy),
    core: name("core stream").default(defaultNames.core),
    vendor: name("vendor stream").default(defaultNames.vendor),
    dlq: name("DLQ stream").default(defaultNames.dlq),
  })
  .default(defaultNames);

export const retentionSchema = z
  .strictObject({
    legacyMaxAge: duration.default("24h"),
    /** Phase 3 retires the legacy stream only after it has received nothing for this long (the seeds' 14-day watch). */
    legacyQuietPeriod: duration.default("14d"),
    hotMaxAge: duration.default("48h"),
    dlqMaxAge: duration.default("14d"),
  })
  .default({ legacyMaxAge: "24h", legacyQuietPeriod: "14d", hotMaxAge: "48h", dlqMaxAge: "14d" });

/** One durable's settings, `event-bus:<key>Consumer`, with its catalogue entry as defaults. */
export function consumerSettingsSchema(e: ConsumerEntry) {
  const defaults = { durable: e.durable, filterSubject: e.filterSubject, maxDeliver: e.maxDeliver, ackWait: e.ackWait, maxAckPending: e.maxAckPending, dlqSubject: e.dlqSubject };
  return z
    .strictObject({
      durable: name(`${e.key} durable`).default(e.durable),
      filterSubject: subject.default(e.filterSubject),
      maxDeliver: intFromString(positiveInt("maxDeliver")).default(e.maxDeliver),
      ackWait: duration.default(e.ackWait),
      maxAckPending: intFromString(positiveInt("maxAckPending")).default(e.maxAckPending),
      dlqSubject: subject.default(e.dlqSubject),
    })
    .default(defaults);
}
export type ConsumerSettings = z.output<ReturnType<typeof consumerSettingsSchema>>;
export type ConsumerConfigKey = `${string}Consumer`;
export const consumerConfigKey = (e: ConsumerEntry): ConsumerConfigKey => `${e.key}Consumer`;

/** A durable's settings in a stack's configuration. */
export function consumerSettings(c: StackConfig, e: ConsumerEntry): ConsumerSettings {
  return c[consumerConfigKey(e)];
}

export const pullLoopSchema = z
  .strictObject({
    /** HRV_BATCH_SIZE */
    batchSize: intFromString(positiveInt("batchSize")).default(10),
    /** HRV_EXPIRES_MS */
    expiresMs: intFromString(positiveInt("expiresMs")).default(5000),
    /** HRV_IDLE_BACKOFF_MS */
    idleBackoffMs: intFromString(positiveInt("idleBackoffMs")).default(50),
  })
  .default({ batchSize: 10, expiresMs: 5000, idleBackoffMs: 50 });

/** Secret configuration keys, read as Pulumi secrets and never validated as plain text. */
export { SECRET_KEYS, type SecretKey } from "./secret-keys";
import { SECRET_KEYS, USER_PASSWORDS_KEY, type SecretKey } from "./secret-keys";
import { BCRYPT_MAX_BYTES } from "../kubernetes/nats-passwords";

/** The configuration's schema for a catalogue: one `<key>Consumer` key per durable. */
export function stackConfigSchemaFor(catalogue: Catalogue) {
  const consumers = Object.fromEntries(catalogue.consumers.map((e) => [consumerConfigKey(e), consumerSettingsSchema(e)])) as Record<ConsumerConfigKey, ReturnType<typeof consumerSettingsSchema>>;
  return z
  .strictObject({
    environment: z.enum(ENVIRONMENTS, { error: `expected environment to be one of ${ENVIRONMENTS.join(", ")}` }),
    /** EVENT_STREAM_MODE: which topology the services read. */
    mode: z.enum(["single", "multi"], { error: 'expected mode "single" or "multi"' }).default("multi"),
    /** Required in staging and production (a missing phase is never taken as the last one); 3 in local when left out. */
    migrationPhase: intFromString(z.number().int().min(0, { error: "expected migrationPhase 0, 1, 2 or 3" }).max(3, { error: "expected migrationPhase 0, 1, 2 or 3" })).optional(),
    /** Stream and consumer replicas; 1 in local and staging, 3 in production unless set. */
    replicas: intFromString(replicas).optional(),
    streams: streamNamesSchema,
    retention: retentionSchema,
    ...consumers,
    pullLoop: pullLoopSchema,
    /** How the providers reach JetStream (credentials here are read from secret config). */
    nats: connectionSchema,
    /**
     * Opt-ins for what loses data, applied to every stream and durable of the stack. `forceDelete`
     * lets a delete (destroy, phase 3, a rollback's move) drop a stream that holds messages or a
     * durable with pending messages; it counts in the `up` that sets it, since the providers read it
     * from the stack configuration. `allowReplace` lets a change the server can not make in place
     * delete and re-create a stream or durable.
     */
    forceDelete: boolFromString("forceDelete").default(false),
    allowReplace: boolFromString("allowReplace").default(false),
    /**
     * Take over streams and durables that already exist with a different configuration (a live
     * bus), making the differences in place; without it the preview lists them and stops.
     */
    adoptExisting: boolFromString("adoptExisting").default(false),
    /**
     * Fail the preview (or up) when the program can not reach the bus, instead of warning that
     * adoption, the step from the live phase and the legacy stream's retirement were not judged.
     * On by default in staging and production (busLookRequired), off for the local stack.
     */
    requireBusLook: boolFromString("requireBusLook").optional(),
    /**
     * Let one `pulumi up` move more than one migration phase from where the live bus is (what its
     * streams capture); without it a jump fails the preview, so that each phase gets its soak.
     */
    allowPhaseJump: boolFromString("allowPhaseJump").default(false),
    /** Kubernetes settings, read by components/kubernetes (the local stack may leave them out). */
    kubernetes: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.migrationPhase === undefined && c.environment !== "local") {
      ctx.addIssue({ code: "custom", path: ["migrationPhase"], message: `expected migrationPhase (0, 1, 2 or 3) in the ${c.environment} stack file: its phase is never assumed` });
    }
    const names = Object.entries(c.streams);
    const seen = new Map<string, string>();
    for (const [role, n] of names) {
      if (seen.has(n)) ctx.addIssue({ code: "custom", path: ["streams", role], message: `expected a name different from streams.${seen.get(n)} ("${n}")` });
      seen.set(n, role);
    }
    if (c.mode === "single" && (c.migrationPhase ?? LOCAL_PHASE) > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["mode"],
        message: `expected mode "multi" from migrationPhase 1 on: phase ${c.migrationPhase ?? LOCAL_PHASE} has moved subjects off ${c.streams.legacy}, which services in single mode would no longer see`,
      });
    }
    const done = subjectsByPhase(catalogue.retirePhase, catalogue);
    for (const e of catalogue.consumers) {
      const filter = (c as Record<string, unknown> as Record<ConsumerConfigKey, ConsumerSettings>)[consumerConfigKey(e)].filterSubject;
      if (!Object.values(done).some((subjects) => coveredBy(filter, subjects))) {
        ctx.addIssue({ code: "custom", path: [consumerConfigKey(e), "filterSubject"], message: `expected a subject that a stream captures ("${filter}" is inside none of ${Object.values(done).flat().join(", ")})` });
      }
    }
    for (const [key, field] of Object.entries(SECRET_KEYS)) {
      const value = (c.nats as Record<string, unknown>)[field];
      if (value !== undefined && !isPlaceholder(value)) {
        ctx.addIssue({ code: "custom", path: ["nats", field], message: `expected no ${field} in plain config: \`pulumi config set --secret event-bus:${key}\`` });
      }
    }
    if (c.environment === "production" && c.replicas !== undefined && c.replicas < 3) {
      ctx.addIssue({ code: "custom", path: ["replicas"], message: "expected at least 3 replicas in production" });
    }
  });
}

export const stackConfigSchema = stackConfigSchemaFor(CATALOGUE);

/** The local stack's phase when its stack file names none: the migration done. */
const LOCAL_PHASE = 3;

/** A stack's validated configuration; `<key>Consumer` holds each catalogue durable's settings. */
export type StackConfig = Omit<z.output<typeof stackConfigSchema>, "migrationPhase"> & { migrationPhase: number } & Record<ConsumerConfigKey, ConsumerSettings>;

/** A configuration problem, named by its key. */
export class StackConfigError extends Error {
  constructor(readonly problems: Array<{ key: string; reason: string }>) {
    super(`invalid stack configuration:\n${problems.map((p) => `  event-bus:${p.key}: ${p.reason}`).join("\n")}`);
    this.name = "StackConfigError";
  }
}

/**
 * What stands for a secret key's value while the configuration is judged as a whole (a user needs
 * a password): each one passes its field's own format, which the provider checks on the real value.
 */
const SECRET_PLACEHOLDERS: Record<SecretKey, string> = {
  natsPassword: "(set in secret config)",
  natsToken: "(set in secret config)",
  natsCreds: "(set in secret config)",
  natsNkeySeed: "SUSETINSECRETCONFIG",
};
const isPlaceholder = (v: unknown) => (Object.values(SECRET_PLACEHOLDERS) as unknown[]).includes(v);

/**
 * Validates raw configuration values (as `pulumi config` holds them) into a StackConfig.
 * `secretKeys` names the secret keys the stack has, so that the connection is judged whole
 * (a user needs a password) without the secrets themselves being read here.
 */
export function parseStackConfig(raw: Record<string, unknown>, secretKeys: readonly SecretKey[] = [], catalogue: Catalogue = CATALOGUE): StackConfig {
  const nats = raw.nats;
  if (secretKeys.length && nats !== null && typeof nats === "object" && !Array.isArray(nats)) {
    const withPlaceholders: Record<string, unknown> = { ...nats };
    for (const k of secretKeys) withPlaceholders[SECRET_KEYS[k]] ??= SECRET_PLACEHOLDERS[k];
    const checked = parseStackConfig({ ...raw, nats: withPlaceholders }, [], catalogue);
    const plain = Object.fromEntries(Object.entries(checked.nats).filter(([, v]) => !isPlaceholder(v)));
    return { ...checked, nats: plain as StackConfig["nats"] };
  }
  const r = (catalogue === CATALOGUE ? stackConfigSchema : stackConfigSchemaFor(catalogue)).safeParse(raw);
  if (r.success) return { ...r.data, migrationPhase: r.data.migrationPhase ?? LOCAL_PHASE } as StackConfig;
  throw new StackConfigError(
    r.error.issues.flatMap((i) =>
      i.code === "unrecognized_keys"
        ? i.keys.map((k) => ({ key: formatPath([...i.path, k]), reason: `unknown key "${k}" (check its spelling)` }))
        : [{ key: formatPath(i.path) || "(config)", reason: i.message }],
    ),
  );
}

/** The effective replicas of the stack's streams. */
export function replicasOf(c: StackConfig): number {
  return c.replicas ?? DEFAULT_REPLICAS[c.environment];
}

/** Whether an unreachable bus fails the preview: `requireBusLook`, by default everywhere but the local stack. */
export function busLookRequired(c: StackConfig): boolean {
  return c.requireBusLook ?? c.environment !== "local";
}

/** The plain keys of the schema. */
export const CONFIG_KEYS = Object.keys(stackConfigSchema.shape) as string[];

export type StackSecrets = Partial<Record<SecretKey, pulumi.Output<string>>>;

/** The NATS users whose passwords a stack may carry over (components/kubernetes/nats-users.ts names them). */
export const NATS_USER_NAMES = ["admin", "ingest", "normalize"] as const;
export type NatsUserName = (typeof NATS_USER_NAMES)[number];
/** Carried-over passwords by user, Pulumi secrets. */
export type UserPasswords = Partial<Record<NatsUserName, pulumi.Output<string>>>;

/**
 * The users' passwords carried over (event-bus:natsUserPasswords): their shape is judged from the
 * configuration map, and every problem names the key and never the value.
 */
export function userPasswordProblems(raw: string | undefined, secret: boolean): Array<{ key: string; reason: string }> {
  if (raw === undefined) return [];
  const how = `pulumi config set --secret --path event-bus:${USER_PASSWORDS_KEY}.<user> <password>`;
  if (!secret) return [{ key: USER_PASSWORDS_KEY, reason: `expected secret config, not plain text: \`${how}\`` }];
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [{ key: USER_PASSWORDS_KEY, reason: `expected a map of user to password: \`${how}\`` }];
  return Object.entries(value as Record<string, unknown>).flatMap(([user, pw]) => {
    const key = `${USER_PASSWORDS_KEY}.${user}`;
    if (!(NATS_USER_NAMES as readonly string[]).includes(user)) return [{ key, reason: `unknown user "${user}": expected one of ${NATS_USER_NAMES.join(", ")}` }];
    // Any characters: the servers get a bcrypt hash as a quoted string (nats-passwords.ts). bcrypt reads 72 bytes at most.
    if (typeof pw !== "string" || pw.length === 0) return [{ key, reason: "expected the user's current password, as a string" }];
    if (Buffer.byteLength(pw, "utf8") > BCRYPT_MAX_BYTES) return [{ key, reason: `expected at most ${BCRYPT_MAX_BYTES} bytes (UTF-8): the NATS servers compare passwords through bcrypt, which reads no further` }];
    return [];
  });
}

/** Reads and validates this stack's configuration: the only place that reads `pulumi config`. */
export function readStackConfig(
  config = new pulumi.Config("event-bus"),
  all: Record<string, string> = pulumi.runtime.allConfig(),
  isSecret: (key: string) => boolean = (key) => (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(key),
): { config: StackConfig; secrets: StackSecrets; userPasswords: UserPasswords } {
  const known = new Set<string>([...CONFIG_KEYS, ...Object.keys(SECRET_KEYS), USER_PASSWORDS_KEY]);
  const unknown = Object.keys(all)
    .filter((k) => k.startsWith("event-bus:"))
    .map((k) => k.slice("event-bus:".length))
    .filter((k) => !known.has(k));
  const keyProblems = [
    ...unknown.map((k) => ({ key: k, reason: `unknown key "${k}" (check its spelling: the keys are ${[...known].sort().join(", ")})` })),
    ...userPasswordProblems(all[`event-bus:${USER_PASSWORDS_KEY}`], isSecret(`event-bus:${USER_PASSWORDS_KEY}`)),
  ];
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const text = config.get(key);
    if (text === undefined) continue;
    try {
      raw[key] = JSON.parse(text);
    } catch {
      raw[key] = text;
    }
  }
  const secrets: StackSecrets = {};
  for (const key of Object.keys(SECRET_KEYS) as SecretKey[]) {
    const value = config.getSecret(key);
    if (value !== undefined) secrets[key] = value;
  }
  let parsed: StackConfig;
  try {
    parsed = parseStackConfig(raw, Object.keys(secrets) as SecretKey[]);
  } catch (e) {
    throw e instanceof StackConfigError ? new StackConfigError([...keyProblems, ...e.problems]) : e;
  }
  if (keyProblems.length) throw new StackConfigError(keyProblems);
  const carried = config.getSecretObject<Record<string, string>>(USER_PASSWORDS_KEY);
  const userPasswords: UserPasswords = {};
  const given = all[`event-bus:${USER_PASSWORDS_KEY}`];
  for (const user of given ? Object.keys(JSON.parse(given) as object) : []) userPasswords[user as NatsUserName] = pulumi.secret(carried!.apply((o) => o[user]));
  return { config: parsed, secrets, userPasswords };
}
