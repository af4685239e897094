/**
 * What the providers share about their inputs: removing the engine's own keys, splitting the
 * connection and safety flags from the configuration, and refusing invalid inputs with every
 * failure named by its field path.
 */
import type { z } from "zod";
import { consumerBehaviourShape } from "../jetstream/consumer-args";
import { safetyShape, streamBehaviourShape } from "../jetstream/stream-args";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { validate, type CheckFailure } from "../jetstream/validation";

export const PROVIDER_KEY = "__provider";
/** Inputs that steer the provider and are stored in state, but are not the server's configuration: named once, in the schemas. */
const BEHAVIOUR_SHAPE = { ...safetyShape, ...streamBehaviourShape, ...consumerBehaviourShape };
export const SAFETY_KEYS = Object.keys(BEHAVIOUR_SHAPE) as ReadonlyArray<keyof Safety>;
/**
 * Inputs whose value is never a change by itself: read only on create (startAfterSeq, adopting),
 * the preview's note of a recreating update (replacing), or where the program's other streams'
 * subjects go (handover, read by the update that a change of subjects makes anyway), the stack
 * stamp (written by the next update that changes something; a stack never changes its identity).
 */
export const CREATE_ONLY_KEYS = ["startAfterSeq", "adopting", "replacing", "handover", "stack"] as const satisfies ReadonlyArray<keyof Safety>;

export type Safety = Partial<z.infer<z.ZodObject<typeof BEHAVIOUR_SHAPE>>>;

/** Safety and behaviour flags without those read only on create, for comparing old and new. */
export function comparableSafety(s: Safety): Safety {
  const out: Record<string, unknown> = { ...s };
  for (const k of CREATE_ONLY_KEYS) delete out[k];
  return out as Safety;
}

/** The flags kept in state: all but the check's notes (adopting, replacing) and the hand-over map, which serve only the operation that used them. */
export function storedSafety(s: Safety): Safety {
  const { adopting: _used, replacing: _done, handover: _handed, ...kept } = s;
  return kept;
}

/** Outputs the providers add to what the user wrote: a stream's claims and last sequence, the owner stamp (components/jetstream/ownership.ts), the schema version (schema.ts). */
export const OUTPUT_ONLY_KEYS = ["claims", "lastSeq", "owner", "schemaVersion"] as const;

/** Stored outputs as the inputs they came from: without the output-only keys. */
export function storedInputs<T extends Record<string, unknown>>(outputs: T): Omit<T, (typeof OUTPUT_ONLY_KEYS)[number]> {
  const out: Record<string, unknown> = { ...outputs };
  for (const k of OUTPUT_ONLY_KEYS) delete out[k];
  return out as Omit<T, (typeof OUTPUT_ONLY_KEYS)[number]>;
}

/** Inputs as the user wrote them, without the engine's serialised provider. */
export function userInputs(raw: Record<string, unknown>): Record<string, unknown> {
  const { [PROVIDER_KEY]: _ignored, ...rest } = raw;
  return rest;
}

export function checkInputs<T>(schema: z.ZodType<T>, raw: Record<string, unknown>): { failures: CheckFailure[] } {
  const r = validate(schema, userInputs(raw));
  return { failures: r.ok ? [] : r.failures };
}

/** Parses inputs for an operation that acts on a server; invalid inputs never get that far. */
export function parseInputs<T>(schema: z.ZodType<T>, raw: Record<string, unknown>, what: string): T {
  const r = validate(schema, userInputs(raw));
  if (r.ok) return r.value;
  const detail = r.failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
  throw new Error(`${what}: invalid inputs: ${detail || "some values are not known yet"}`);
}

/** Splits parsed inputs into the resource's configuration, its safety flags and its connection. */
export function splitInputs<T extends Safety & { connection: ConnectionArgs }>(inputs: T): { config: Omit<T, keyof Safety | "connection">; safety: Safety; connection: ConnectionArgs } {
  const { connection, ...rest } = inputs;
  const config: Record<string, unknown> = {};
  const safety: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) {
    if ((SAFETY_KEYS as readonly string[]).includes(k)) {
      if (v !== undefined) safety[k] = v;
    } else config[k] = v;
  }
  return { config: config as Omit<T, keyof Safety | "connection">, safety: safety as Safety, connection };
}

/**
 * The new configuration for a diff: what the user gave, with values not known yet (preview)
 * taken from the old configuration so they count as unchanged. Fields the user dropped stay
 * dropped: they return to their defaults.
 */
export function configForDiff<C extends object>(oldConfig: C, knownNew: Partial<C>, gaps: string[][]): C {
  const out: Record<string, unknown> = { ...knownNew };
  for (const [top] of gaps) {
    if (top in oldConfig) out[top] = (oldConfig as Record<string, unknown>)[top];
  }
  return out as C;
}
