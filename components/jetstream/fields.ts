/**
 * The machinery of the field tables (components/jetstream/stream-fields.ts and
 * consumer-fields.ts): one descriptor per JetStream configuration field, and the generic
 * functions that derive from those descriptors the user schema, the mapping to and from the
 * server's wire form, the canonical form (server defaults made explicit) and the diff with its
 * update-or-replace judgement. Nothing here talks to a server.
 */
import { isDeepStrictEqual } from "node:util";
import type { z } from "zod";
import { formatDuration, parseDuration } from "./durations";
import { PROVIDER_KEYS } from "./provider-keys";

type Wire = Record<string, unknown>;

/** Why changing a field from `o` to `n` needs the resource replaced, or undefined when the server updates it in place. */
export type ReplaceRule = (o: any, n: any) => string | undefined;

/** Everything the project knows about one configuration field. */
export interface FieldSpec<S extends z.ZodType = z.ZodType> {
  /** The server's JSON name. */
  readonly wire: string;
  /** What a user may write (its messages name what was expected). */
  readonly schema: S;
  /** The user's value (undefined when left out) as the wire value (undefined: absent). Default: unchanged. */
  readonly toWire?: (value: any, args: any) => unknown;
  /** The canonical wire value as the user's value (undefined: left out). Default: unchanged. */
  readonly fromWire?: (value: any) => unknown;
  /** The value the server holds, given the whole (partial) wire configuration: its default when absent. */
  readonly canonical: (value: any, whole: any) => unknown;
  /** "update" when the server changes the field in place; otherwise the rule naming why it can not. */
  readonly change: "update" | ReplaceRule;
}

export type FieldTable = Readonly<Record<string, FieldSpec>>;

/** The zod shape a table describes, keyed by the user-facing names, every field optional unless its schema says otherwise. */
export type ShapeOf<T extends FieldTable> = { [K in keyof T]: T[K]["schema"] };

export function shapeOf<T extends FieldTable>(table: T): ShapeOf<T> {
  return Object.fromEntries(Object.entries(table).map(([k, f]) => [k, f.schema])) as ShapeOf<T>;
}

/** Keeps only the keys whose value is set, so wire objects carry no `undefined`. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const ENTRIES = new WeakMap<FieldTable, ReadonlyArray<readonly [string, FieldSpec]>>();
/** A table's fields, listed once per table (the mapping runs on every diff). */
function fieldsOf(table: FieldTable): ReadonlyArray<readonly [string, FieldSpec]> {
  let e = ENTRIES.get(table);
  if (!e) ENTRIES.set(table, (e = Object.entries(table)));
  return e;
}

/**
 * Every field at the value the server holds; absent ones at the server's defaults. Fields the
 * server leaves out stay as keys with `undefined`: an update body built from this clears them
 * (the client merges an update into the live configuration).
 */
export function canonicalOf(table: FieldTable, w: Wire): Wire {
  const out: Wire = {};
  for (const [, f] of fieldsOf(table)) out[f.wire] = f.canonical(w[f.wire], w);
  return out;
}

/** The user's configuration as the canonical wire configuration. */
export function toWireOf(table: FieldTable, args: Record<string, unknown>): Wire {
  const w: Wire = {};
  for (const [k, f] of fieldsOf(table)) {
    const v = f.toWire ? f.toWire(args[k], args) : args[k];
    if (v !== undefined) w[f.wire] = v;
  }
  return canonicalOf(table, w);
}

/** A wire configuration (ours or the server's) as the user would write it. */
export function fromWireOf(table: FieldTable, w: Wire): Record<string, unknown> {
  const c = canonicalOf(table, w);
  const out: Record<string, unknown> = {};
  for (const [k, f] of fieldsOf(table)) out[k] = argOf(f, c);
  return compact(out);
}

/** One field of a canonical wire configuration as the user writes it. */
const argOf = (f: FieldSpec, c: Wire) => (c[f.wire] === undefined ? undefined : f.fromWire ? f.fromWire(c[f.wire]) : c[f.wire]);

export interface FieldChange {
  /** The user-facing field name. */
  field: string;
  old: unknown;
  new: unknown;
  /** "update": the server changes it in place; "replace": it refuses, the resource must be recreated. */
  kind: "update" | "replace";
  /** Why a replace is needed, in the server's terms. */
  reason?: string;
}

const same = (a: unknown, b: unknown) => a === b || (a !== null && typeof a === "object" && isDeepStrictEqual(a ?? null, b ?? null)) || (a == null && b == null);

/** Field-by-field changes between two wire configurations, each judged by its descriptor. */
export function diffOf(table: FieldTable, oldWire: Wire, newWire: Wire): FieldChange[] {
  const o = canonicalOf(table, oldWire);
  const n = canonicalOf(table, newWire);
  const changes: FieldChange[] = [];
  for (const [k, f] of fieldsOf(table)) {
    if (same(o[f.wire], n[f.wire])) continue;
    const reason = f.change === "update" ? undefined : f.change(o[f.wire], n[f.wire]);
    changes.push({ field: k, old: argOf(f, o), new: argOf(f, n), kind: reason ? "replace" : "update", ...(reason ? { reason } : {}) });
  }
  return changes;
}

// ---------------------------------------------------------------- building blocks for descriptors

/** Nanoseconds for a duration the schema has already accepted. */
export function nanos(text: string): number {
  const d = parseDuration(text);
  if ("problem" in d) throw new Error(`invalid duration "${text}": ${d.problem}`);
  return d.nanos;
}

/** A field sent as the user writes it, absent meaning `serverDefault`. */
export function plain<S extends z.ZodType>(wire: string, schema: S, serverDefault: unknown, change: FieldSpec["change"] = "update", fromWire?: FieldSpec["fromWire"]): FieldSpec<S> {
  return { wire, schema, canonical: (v) => v ?? serverDefault, change, ...(fromWire ? { fromWire } : {}) };
}

/** A field the server leaves out while it holds its zero value (false, 0, "" or an empty list). */
export function omitted<S extends z.ZodType>(wire: string, schema: S, change: FieldSpec["change"] = "update"): FieldSpec<S> {
  const empty = (v: unknown) => v === undefined || v === false || v === 0 || v === "" || (Array.isArray(v) && v.length === 0);
  return { wire, schema, canonical: (v) => (empty(v) ? undefined : v), change };
}

/**
 * A duration: a string for the user, nanoseconds on the wire. `serverDefault` (nanoseconds) is
 * what the server holds when it is absent; `shown` says whether outputs carry the value when it is 0.
 */
export function durationField<S extends z.ZodType>(wire: string, schema: S, opts: { serverDefault?: number; change?: FieldSpec["change"]; shownAtZero?: boolean } = {}): FieldSpec<S> {
  const serverDefault = opts.serverDefault ?? 0;
  return {
    wire,
    schema,
    toWire: (v?: string) => (v === undefined ? undefined : nanos(v)),
    fromWire: (n: number) => (n || opts.shownAtZero ? formatDuration(n) : undefined),
    canonical: (v?: number) => (v || serverDefault || (opts.shownAtZero ? 0 : undefined)),
    change: opts.change ?? "update",
  };
}

/** The user's metadata: keys under `_nats.` belong to the server, and PROVIDER_KEYS to the providers; neither is compared. */
export function metadataField<S extends z.ZodType>(schema: S): FieldSpec<S> {
  return {
    wire: "metadata",
    schema,
    canonical: (v?: Record<string, string>) => Object.fromEntries(Object.entries(v ?? {}).filter(([k]) => !k.startsWith("_nats.") && !PROVIDER_KEYS.includes(k))),
    fromWire: (v: Record<string, string>) => (Object.keys(v).length ? v : undefined),
    change: "update",
  };
}

/** A replace rule for a flag the server lets one turn on but never off. */
export const turnedOff = (why: string): ReplaceRule => (o, n) => (o && !n ? why : undefined);

/** A replace rule for a field fixed at creation. */
export const fixed = (why: string): ReplaceRule => () => why;
