/**
 * What a user writes for a JetStream stream: camelCase fields and duration strings, checked
 * field by field before any server is contacted. components/jetstream/wire.ts maps it to the
 * server's configuration.
 */
import { z } from "zod";
import { connectionSchema } from "./connection-args";
import { parseDuration } from "./durations";
import { selfOverlaps, subjectsCollide } from "./subjects";
import { duration, enumOf, flag, limit, metadata, name, replicas, streamSubject, subject, timestamp } from "./validation";

export const RETENTION = ["limits", "interest", "workqueue"] as const;
export const STORAGE = ["file", "memory"] as const;
export const DISCARD = ["old", "new"] as const;
export const COMPRESSION = ["none", "s2"] as const;

const streamSource = z.strictObject({
  name: name("source stream"),
  optStartSeq: z.number().int().min(1, { error: "expected a start sequence of at least 1" }).optional(),
  optStartTime: timestamp.optional(),
  filterSubject: subject.optional(),
  /** The JetStream API prefix of another account or domain, and where it delivers. */
  external: z.strictObject({ api: z.string().min(1), deliver: z.string().optional() }).optional(),
});

export type StreamSourceArgs = z.infer<typeof streamSource>;

/** The fields that describe the stream itself (everything the server stores). */
export const streamConfigShape = {
  name: name("stream"),
  subjects: z.array(streamSubject, { error: "expected a list of subjects" }).optional(),
  description: z.string({ error: "expected a description string" }).max(4096).optional(),
  retention: enumOf("retention", RETENTION).optional(),
  storage: enumOf("storage", STORAGE).optional(),
  replicas: replicas.optional(),
  maxAge: duration.optional(),
  maxMsgs: limit("maxMsgs").optional(),
  maxBytes: limit("maxBytes").optional(),
  maxMsgSize: limit("maxMsgSize").optional(),
  maxMsgsPerSubject: limit("maxMsgsPerSubject").optional(),
  maxConsumers: limit("maxConsumers").optional(),
  discard: enumOf("discard", DISCARD).optional(),
  discardNewPerSubject: flag("discardNewPerSubject").optional(),
  duplicateWindow: duration.optional(),
  denyDelete: flag("denyDelete").optional(),
  denyPurge: flag("denyPurge").optional(),
  allowRollup: flag("allowRollup").optional(),
  allowDirect: flag("allowDirect").optional(),
  mirrorDirect: flag("mirrorDirect").optional(),
  allowMsgTtl: flag("allowMsgTtl").optional(),
  sealed: flag("sealed").optional(),
  mirror: streamSource.optional(),
  sources: z.array(streamSource).optional(),
  republish: z
    .strictObject({ src: subject.optional(), dest: subject, headersOnly: flag("headersOnly").optional() })
    .optional(),
  placement: z
    .strictObject({ cluster: z.string().min(1).optional(), tags: z.array(z.string().min(1)).optional() })
    .optional(),
  compression: enumOf("compression", COMPRESSION).optional(),
  metadata: metadata.optional(),
};

/** Guards that keep data safe; they never reach the server. */
export const safetyShape = {
  /** A change the server cannot make in place may replace the resource (a stream loses its messages). */
  allowReplace: flag("allowReplace").optional(),
  /** Take over an existing resource whose configuration differs, and update it to this one. */
  adoptExisting: flag("adoptExisting").optional(),
  /** Delete even when messages are stored (stream) or not yet acknowledged (consumer). */
  forceDelete: flag("forceDelete").optional(),
  /** Set by the providers' check (never by hand): the differences an adoptExisting create makes in place. */
  adopting: z.string().optional(),
};

/** Stream-only guards and hand-over behaviour; they never reach the server. */
export const streamBehaviourShape = {
  /** Allow deleting the stream once every consumer on it has received and acknowledged everything. */
  deleteWhenDrained: flag("deleteWhenDrained").optional(),
  /**
   * How long to wait for another stream to release subjects this one claims (a migration
   * hand-over, where both updates run in one deployment), in milliseconds.
   */
  handoverWaitMs: z.number().int().min(0).max(600_000).optional(),
  /** Delete the stream only after it has received no message for this long (a retiring stream). */
  quietPeriod: duration.optional(),
};

function crossFieldRules(s: z.infer<z.ZodObject<typeof streamConfigShape>>, ctx: z.RefinementCtx): void {
  const subjects = s.subjects ?? [];
  for (const [a, b] of selfOverlaps(subjects)) {
    ctx.addIssue({ code: "custom", path: ["subjects"], message: a === b ? `duplicate subject "${a}"` : `subjects "${a}" and "${b}" overlap` });
  }
  if (s.mirror && subjects.length > 0) ctx.addIssue({ code: "custom", path: ["mirror"], message: "a mirror takes no subjects of its own; remove subjects or mirror" });
  if (s.mirror && s.sources?.length) ctx.addIssue({ code: "custom", path: ["mirror"], message: "expected either mirror or sources, not both" });
  if (s.mirror?.name === s.name) ctx.addIssue({ code: "custom", path: ["mirror", "name"], message: "a stream can not mirror itself" });
  s.sources?.forEach((src, i) => {
    if (src.name === s.name) ctx.addIssue({ code: "custom", path: ["sources", i, "name"], message: "a stream can not source itself" });
  });
  if (s.discardNewPerSubject && (s.discard !== "new" || !(s.maxMsgsPerSubject && s.maxMsgsPerSubject > 0))) {
    ctx.addIssue({ code: "custom", path: ["discardNewPerSubject"], message: 'expected discard "new" and maxMsgsPerSubject above 0 with discardNewPerSubject' });
  }
  if (s.allowRollup && s.denyPurge) ctx.addIssue({ code: "custom", path: ["allowRollup"], message: "roll-ups need purge: allowRollup can not go with denyPurge" });
  if (s.maxAge && s.duplicateWindow) {
    const age = parseDuration(s.maxAge);
    const win = parseDuration(s.duplicateWindow);
    if ("nanos" in age && "nanos" in win && age.nanos > 0 && win.nanos > age.nanos) {
      ctx.addIssue({ code: "custom", path: ["duplicateWindow"], message: `expected a duplicateWindow no longer than maxAge (${s.maxAge})` });
    }
  }
  if (s.republish) {
    for (const subj of subjects) {
      if (subjectsCollide(s.republish.dest, subj)) {
        ctx.addIssue({ code: "custom", path: ["republish", "dest"], message: `republish destination "${s.republish.dest}" overlaps the stream's subject "${subj}" and would loop` });
      }
    }
  }
  if (s.mirrorDirect && !s.mirror) ctx.addIssue({ code: "custom", path: ["mirrorDirect"], message: "mirrorDirect applies only to a mirror" });
}

export const streamConfigSchema = z.strictObject(streamConfigShape).superRefine(crossFieldRules);

/** The stream's configuration as a user gives it. */
export type StreamConfigArgs = z.infer<typeof streamConfigSchema>;

/** Everything the Stream provider takes: the configuration, the safety guards and the connection. */
export const streamInputsSchema = z
  .strictObject({ ...streamConfigShape, ...safetyShape, ...streamBehaviourShape, connection: connectionSchema })
  .superRefine(crossFieldRules);

export type StreamInputs = z.infer<typeof streamInputsSchema>;
