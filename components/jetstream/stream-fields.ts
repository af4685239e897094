/**
 * Every JetStream stream field this project manages, one descriptor each: the user's name (the
 * key), the server's name, what a user may write, the server's default, and whether the pinned
 * server changes it in place or refuses (so the stream must be replaced), with its reason.
 * test/jetstream/update-rules.server.test.ts proves each rule against the server, and
 * test/jetstream/field-coverage.test.ts compares this list with the server's own StreamConfig.
 */
import { z } from "zod";
import { formatDuration } from "./durations";
import { compact, durationField, fixed, metadataField, nanos, omitted, plain, turnedOff, type FieldTable } from "./fields";
import { duration, enumOf, flag, limit, metadata, name, positiveInt, replicas, streamSubject, subject, timestamp } from "./validation";

export const RETENTION = ["limits", "interest", "workqueue"] as const;
export const STORAGE = ["file", "memory"] as const;
export const DISCARD = ["old", "new"] as const;
export const COMPRESSION = ["none", "s2"] as const;
export const PERSIST_MODE = ["default", "async"] as const;

/** Server default for the duplicate window when max_age does not make it shorter. */
export const DEFAULT_DUPLICATE_WINDOW_NANOS = 120_000_000_000;

const streamSource = z.strictObject({
  name: name("source stream"),
  optStartSeq: z.number().int().min(1, { error: "expected a start sequence of at least 1" }).optional(),
  optStartTime: timestamp.optional(),
  filterSubject: subject.optional(),
  /** The JetStream API prefix of another account or domain, and where it delivers. */
  external: z.strictObject({ api: z.string().min(1), deliver: z.string().optional() }).optional(),
});

export type StreamSourceArgs = z.infer<typeof streamSource>;
type WireSource = { name: string; opt_start_seq?: number; opt_start_time?: string; filter_subject?: string; external?: { api: string; deliver?: string } };

function sourceToWire(s: StreamSourceArgs): WireSource {
  return compact({
    name: s.name,
    opt_start_seq: s.optStartSeq,
    opt_start_time: s.optStartTime,
    filter_subject: s.filterSubject,
    external: s.external ? compact({ api: s.external.api, deliver: s.external.deliver ?? "" }) : undefined,
  });
}

function sourceFromWire(w: WireSource): StreamSourceArgs {
  return compact({
    name: w.name,
    optStartSeq: w.opt_start_seq || undefined,
    optStartTime: w.opt_start_time && !w.opt_start_time.startsWith("0001-") ? w.opt_start_time : undefined,
    filterSubject: w.filter_subject || undefined,
    external: w.external?.api ? compact({ api: w.external.api, deliver: w.external.deliver || undefined }) : undefined,
  });
}

const canonicalSource = (w: WireSource) => sourceToWire(sourceFromWire(w));
const sealed = (w: { sealed?: boolean }) => w.sealed === true;
const set = (v: unknown) => v || undefined;

export const STREAM_FIELDS = {
  name: { wire: "name", schema: name("stream"), canonical: (v) => v, change: fixed("a stream's name identifies it") },
  subjects: {
    wire: "subjects",
    schema: z.array(streamSubject, { error: "expected a list of subjects" }).optional(),
    // No subjects: the stream captures its own name, unless it takes its messages from elsewhere.
    canonical: (v: string[] | undefined, w) => (v?.length ? [...v] : w.mirror || w.sources?.length ? [] : [w.name]),
    fromWire: (v: string[]) => (v.length ? v : undefined),
    change: "update",
  },
  description: plain("description", z.string({ error: "expected a description string" }).max(4096).optional(), "", "update", set),
  retention: plain("retention", enumOf("retention", RETENTION).optional(), "limits", (o, n) =>
    o === "workqueue" || n === "workqueue" ? "the server can not change retention to or from workqueue" : undefined,
  ),
  storage: plain("storage", enumOf("storage", STORAGE).optional(), "file", fixed("the server can not change storage type (err_code 10052)")),
  replicas: { wire: "num_replicas", schema: replicas.optional(), canonical: (v) => v || 1, change: "update" },
  maxAge: durationField("max_age", duration.optional(), { shownAtZero: true }),
  maxMsgs: plain("max_msgs", limit("maxMsgs").optional(), -1),
  maxBytes: plain("max_bytes", limit("maxBytes").optional(), -1),
  maxMsgSize: plain("max_msg_size", limit("maxMsgSize").optional(), -1),
  maxMsgsPerSubject: plain("max_msgs_per_subject", limit("maxMsgsPerSubject").optional(), -1),
  maxConsumers: plain("max_consumers", limit("maxConsumers").optional(), -1),
  // Sealing makes the server deny deletes and purges and discard new messages.
  discard: { wire: "discard", schema: enumOf("discard", DISCARD).optional(), canonical: (v, w) => (sealed(w) ? "new" : (v ?? "old")), change: "update" },
  discardNewPerSubject: plain("discard_new_per_subject", flag("discardNewPerSubject").optional(), false),
  duplicateWindow: {
    ...durationField("duplicate_window", duration.optional(), { shownAtZero: true }),
    canonical: (v: number | undefined, w) => v || (w.max_age > 0 ? Math.min(w.max_age, DEFAULT_DUPLICATE_WINDOW_NANOS) : DEFAULT_DUPLICATE_WINDOW_NANOS),
  },
  denyDelete: { wire: "deny_delete", schema: flag("denyDelete").optional(), canonical: (v, w) => sealed(w) || (v ?? false), change: turnedOff("the server can not cancel deny-delete") },
  denyPurge: { wire: "deny_purge", schema: flag("denyPurge").optional(), canonical: (v, w) => sealed(w) || (v ?? false), change: turnedOff("the server can not cancel deny-purge") },
  allowRollup: plain("allow_rollup_hdrs", flag("allowRollup").optional(), false),
  allowDirect: plain("allow_direct", flag("allowDirect").optional(), false),
  mirrorDirect: plain("mirror_direct", flag("mirrorDirect").optional(), false, "update", set),
  allowMsgTtl: plain("allow_msg_ttl", flag("allowMsgTtl").optional(), false, turnedOff("message TTLs can not be disabled once enabled")),
  sealed: plain("sealed", flag("sealed").optional(), false, turnedOff("a sealed stream can not be unsealed")),
  mirror: {
    wire: "mirror",
    schema: streamSource.optional(),
    toWire: (v?: StreamSourceArgs) => v && sourceToWire(v),
    fromWire: sourceFromWire,
    canonical: (v?: WireSource) => v && canonicalSource(v),
    change: (o, n) => (n === undefined ? undefined : o === undefined ? "an existing stream can not become a mirror" : "a mirror's configuration can not be updated (err_code 10055)"),
  },
  sources: {
    wire: "sources",
    schema: z.array(streamSource).optional(),
    toWire: (v?: StreamSourceArgs[]) => v?.map(sourceToWire),
    fromWire: (v: WireSource[]) => v.map(sourceFromWire),
    canonical: (v?: WireSource[]) => (v?.length ? v.map(canonicalSource) : undefined),
    change: "update",
  },
  republish: {
    wire: "republish",
    schema: z.strictObject({ src: subject.optional(), dest: subject, headersOnly: flag("headersOnly").optional() }).optional(),
    toWire: (v?: { src?: string; dest: string; headersOnly?: boolean }) => v && { src: v.src, dest: v.dest, headers_only: v.headersOnly },
    fromWire: (v: { src: string; dest: string; headers_only: boolean }) => compact({ src: v.src, dest: v.dest, headersOnly: v.headers_only }),
    canonical: (v?: { src?: string; dest: string; headers_only?: boolean }) => v && { src: v.src || ">", dest: v.dest, headers_only: v.headers_only ?? false },
    change: "update",
  },
  placement: {
    wire: "placement",
    schema: z.strictObject({ cluster: z.string().min(1).optional(), tags: z.array(z.string().min(1)).optional() }).optional(),
    fromWire: (v: { cluster: string; tags: string[] }) => compact({ cluster: v.cluster || undefined, tags: v.tags.length ? v.tags : undefined }),
    canonical: (v?: { cluster?: string; tags?: string[] }) => (v && (v.cluster || v.tags?.length) ? { cluster: v.cluster ?? "", tags: v.tags ?? [] } : undefined),
    change: "update",
  },
  compression: plain("compression", enumOf("compression", COMPRESSION).optional(), "none"),
  metadata: metadataField(metadata.optional()),
  firstSeq: omitted("first_seq", z.number({ error: "expected firstSeq as a whole number" }).int().min(1, { error: "expected firstSeq of at least 1" }).optional(), fixed("the first sequence is only read when the stream is created")),
  subjectTransform: {
    wire: "subject_transform",
    schema: z.strictObject({ src: streamSubject, dest: z.string({ error: "expected dest as a subject mapping" }).min(1) }).optional(),
    canonical: (v?: { src?: string; dest?: string }) => (v && (v.src || v.dest) ? { src: v.src ?? "", dest: v.dest ?? "" } : undefined),
    change: "update",
  },
  consumerLimits: {
    wire: "consumer_limits",
    schema: z.strictObject({ inactiveThreshold: duration.optional(), maxAckPending: positiveInt("consumerLimits.maxAckPending").optional() }).optional(),
    toWire: (v?: { inactiveThreshold?: string; maxAckPending?: number }) =>
      v && { inactive_threshold: v.inactiveThreshold === undefined ? undefined : nanos(v.inactiveThreshold), max_ack_pending: v.maxAckPending },
    // The server always answers with an object, empty when no limit is set.
    canonical: (v?: { inactive_threshold?: number; max_ack_pending?: number }) => compact({ inactive_threshold: v?.inactive_threshold || undefined, max_ack_pending: v?.max_ack_pending || undefined }),
    fromWire: (v: { inactive_threshold?: number; max_ack_pending?: number }) =>
      Object.keys(v).length ? compact({ inactiveThreshold: v.inactive_threshold && formatDuration(v.inactive_threshold), maxAckPending: v.max_ack_pending }) : undefined,
    change: "update",
  },
  subjectDeleteMarkerTtl: durationField("subject_delete_marker_ttl", duration.optional()),
  allowMsgCounter: omitted("allow_msg_counter", flag("allowMsgCounter").optional(), fixed("the server can not change a stream's message counter setting")),
  allowAtomic: omitted("allow_atomic", flag("allowAtomic").optional()),
  allowMsgSchedules: omitted("allow_msg_schedules", flag("allowMsgSchedules").optional(), turnedOff("message schedules can not be disabled once enabled")),
  persistMode: plain("persist_mode", enumOf("persistMode", PERSIST_MODE).optional(), "default", fixed("the server can not change a stream's persist mode")),
  allowBatched: omitted("allow_batched", flag("allowBatched").optional()),
} satisfies FieldTable;

/** Fields of the server's StreamConfig this project leaves alone, and why. */
export const UNMANAGED_STREAM_FIELDS: Readonly<Record<string, string>> = {
  no_ack: "a stream that does not acknowledge publishes loses messages silently; this project never makes one",
};
