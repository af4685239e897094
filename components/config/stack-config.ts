/**
 * The stack's configuration: every key, its default per environment, and one validation that
 * fails with the key's path and what was expected. `pulumi config` values arrive as strings or
 * JSON objects; readStackConfig() is the only place that reads them.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { connectionSchema } from "../jetstream/connection-args";
import { duration, formatPath, name, positiveInt, replicas, subject } from "../jetstream/validation";

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

export const streamNamesSchema = z
  .strictObject({
    /** STREAM_LEGACY_NAME */
    legacy: name("legacy stream").default("ATHLETE_ALLY_EVENTS"),
    /** STREAM_CORE_NAME */
    core: name("core stream").default("AA_CORE_HOT"),
    /** STREAM_VENDOR_NAME */
    vendor: name("vendor stream").default("AA_VENDOR_HOT"),
    /** STREAM_DLQ_NAME */
    dlq: name("DLQ stream").default("AA_DLQ"),
  })
  .default({ legacy: "ATHLETE_ALLY_EVENTS", core: "AA_CORE_HOT", vendor: "AA_VENDOR_HOT", dlq: "AA_DLQ" });

export const retentionSchema = z
  .strictObject({
    legacyMaxAge: duration.default("24h"),
    /** Phase 3 retires the legacy stream only after it has received nothing for this long (the seeds' 14-day watch). */
    legacyQuietPeriod: duration.default("14d"),
    hotMaxAge: duration.default("48h"),
    dlqMaxAge: duration.default("14d"),
  })
  .default({ legacyMaxAge: "24h", legacyQuietPeriod: "14d", hotMaxAge: "48h", dlqMaxAge: "14d" });

export const hrvConsumerSchema = z
  .strictObject({
    /** NORMALIZE_HRV_DURABLE */
    durable: name("HRV durable").default("normalize-hrv-durable"),
    filterSubject: subject.default("athlete-ally.hrv.raw-received"),
    /** NORMALIZE_HRV_MAX_DELIVER */
    maxDeliver: intFromString(positiveInt("maxDeliver")).default(5),
    /** NORMALIZE_HRV_ACK_WAIT_MS, as a duration */
    ackWait: duration.default("60s"),
    maxAckPending: intFromString(positiveInt("maxAckPending")).default(1000),
    /** NORMALIZE_HRV_DLQ_SUBJECT */
    dlqSubject: subject.default("dlq.normalize.hrv.raw-received"),
  })
  .default({ durable: "normalize-hrv-durable", filterSubject: "athlete-ally.hrv.raw-received", maxDeliver: 5, ackWait: "60s", maxAckPending: 1000, dlqSubject: "dlq.normalize.hrv.raw-received" });

export const vendorConsumerSchema = z
  .strictObject({
    durable: name("vendor durable").default("normalize-oura"),
    filterSubject: subject.default("vendor.oura.>"),
    maxDeliver: intFromString(positiveInt("maxDeliver")).default(5),
    ackWait: duration.default("60s"),
    maxAckPending: intFromString(positiveInt("maxAckPending")).default(1000),
    dlqSubject: subject.default("dlq.normalize.oura"),
  })
  .default({ durable: "normalize-oura", filterSubject: "vendor.oura.>", maxDeliver: 5, ackWait: "60s", maxAckPending: 1000, dlqSubject: "dlq.normalize.oura" });

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

/** Secret configuration keys (`pulumi config set --secret`), read as Pulumi secrets and never validated as plain text. */
export const SECRET_KEYS = {
  natsPassword: "password",
  natsToken: "token",
  natsCreds: "creds",
  natsNkeySeed: "nkeySeed",
} as const;
export type SecretKey = keyof typeof SECRET_KEYS;

export const stackConfigSchema = z
  .strictObject({
    environment: z.enum(ENVIRONMENTS, { error: `expected environment to be one of ${ENVIRONMENTS.join(", ")}` }),
    /** EVENT_STREAM_MODE: which topology the services read. */
    mode: z.enum(["single", "multi"], { error: 'expected mode "single" or "multi"' }).default("multi"),
    migrationPhase: intFromString(z.number().int().min(0, { error: "expected migrationPhase 0, 1, 2 or 3" }).max(3, { error: "expected migrationPhase 0, 1, 2 or 3" })).default(3),
    /** Stream and consumer replicas; 1 in local and staging, 3 in production unless set. */
    replicas: intFromString(replicas).optional(),
    streams: streamNamesSchema,
    retention: retentionSchema,
    hrvConsumer: hrvConsumerSchema,
    vendorConsumer: vendorConsumerSchema,
    pullLoop: pullLoopSchema,
    /** How the providers reach JetStream (credentials here are read from secret config). */
    nats: connectionSchema,
    /**
     * Opt-ins for what loses data, applied to every stream and durable of the stack. Each counts
     * only after a `pulumi up` has stored it: `forceDelete` lets destroy (or phase 3) delete a
     * stream that holds messages or a durable with pending messages; `allowReplace` lets a change
     * the server can not make in place delete and re-create a stream or durable.
     */
    forceDelete: boolFromString("forceDelete").default(false),
    allowReplace: boolFromString("allowReplace").default(false),
    /**
     * Take over streams and durables that already exist with a different configuration (a live
     * bus), making the differences in place; without it the preview lists them and stops.
     */
    adoptExisting: boolFromString("adoptExisting").default(false),
    /** Kubernetes settings, read by components/kubernetes (the local stack may leave them out). */
    kubernetes: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((c, ctx) => {
    const names = Object.entries(c.streams);
    const seen = new Map<string, string>();
    for (const [role, n] of names) {
      if (seen.has(n)) ctx.addIssue({ code: "custom", path: ["streams", role], message: `expected a name different from streams.${seen.get(n)} ("${n}")` });
      seen.set(n, role);
    }
    if (c.mode === "single" && c.migrationPhase > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["mode"],
        message: `expected mode "multi" from migrationPhase 1 on: phase ${c.migrationPhase} has moved subjects off ${c.streams.legacy}, which services in single mode would no longer see`,
      });
    }
    for (const [key, field] of Object.entries(SECRET_KEYS)) {
      const value = (c.nats as Record<string, unknown>)[field];
      if (value !== undefined && value !== SECRET_PLACEHOLDER) {
        ctx.addIssue({ code: "custom", path: ["nats", field], message: `expected no ${field} in plain config: \`pulumi config set --secret event-bus:${key}\`` });
      }
    }
    if (c.environment === "production" && c.replicas !== undefined && c.replicas < 3) {
      ctx.addIssue({ code: "custom", path: ["replicas"], message: "expected at least 3 replicas in production" });
    }
  });

export type StackConfig = z.output<typeof stackConfigSchema>;

/** A configuration problem, named by its key. */
export class StackConfigError extends Error {
  constructor(readonly problems: Array<{ key: string; reason: string }>) {
    super(`invalid stack configuration:\n${problems.map((p) => `  event-bus:${p.key}: ${p.reason}`).join("\n")}`);
    this.name = "StackConfigError";
  }
}

const SECRET_PLACEHOLDER = "(set in secret config)";

/**
 * Validates raw configuration values (as `pulumi config` holds them) into a StackConfig.
 * `secretKeys` names the secret keys the stack has, so that the connection is judged whole
 * (a user needs a password) without the secrets themselves being read here.
 */
export function parseStackConfig(raw: Record<string, unknown>, secretKeys: readonly SecretKey[] = []): StackConfig {
  const nats = raw.nats;
  if (secretKeys.length && nats !== null && typeof nats === "object" && !Array.isArray(nats)) {
    const withPlaceholders: Record<string, unknown> = { ...nats };
    for (const k of secretKeys) withPlaceholders[SECRET_KEYS[k]] ??= SECRET_PLACEHOLDER;
    const checked = parseStackConfig({ ...raw, nats: withPlaceholders });
    const plain = Object.fromEntries(Object.entries(checked.nats).filter(([, v]) => v !== SECRET_PLACEHOLDER));
    return { ...checked, nats: plain as StackConfig["nats"] };
  }
  const r = stackConfigSchema.safeParse(raw);
  if (r.success) return r.data;
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

/** The plain keys of the schema. */
export const CONFIG_KEYS = Object.keys(stackConfigSchema.shape) as string[];

export type StackSecrets = Partial<Record<SecretKey, pulumi.Output<string>>>;

/** Reads and validates this stack's configuration: the only place that reads `pulumi config`. */
export function readStackConfig(config = new pulumi.Config("event-bus")): { config: StackConfig; secrets: StackSecrets } {
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
  return { config: parseStackConfig(raw, Object.keys(secrets) as SecretKey[]), secrets };
}
