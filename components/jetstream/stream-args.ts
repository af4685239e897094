/**
 * What a user writes for a JetStream stream: camelCase fields and duration strings, checked
 * field by field before any server is contacted. Each field is described once, in
 * components/jetstream/stream-fields.ts; the rules here are the ones between fields.
 */
import { z } from "zod";
import { connectionSchema } from "./connection-args";
import { parseDuration } from "./durations";
import { selfOverlaps, subjectsCollide } from "./subjects";
import { shapeOf } from "./fields";
import { STREAM_FIELDS } from "./stream-fields";
import { duration, flag } from "./validation";

export { COMPRESSION, DISCARD, PERSIST_MODE, RETENTION, STORAGE, type StreamSourceArgs } from "./stream-fields";

/** The fields that describe the stream itself (everything the server stores), one per descriptor. */
export const streamConfigShape = shapeOf(STREAM_FIELDS);

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
  /** Set by the providers' check (never by hand): the changes an update makes by deleting and recreating the resource. */
  replacing: z.string().optional(),
  /**
   * The Pulumi stack the resource belongs to (`<organization>/<project>/<stack>`), stamped on the
   * server: what another stack stamped is refused (components/jetstream/ownership.ts).
   */
  stack: z.string().min(1).optional(),
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
  /**
   * Every stream of the program and the subjects it captures once the deployment is done: a
   * stream keeps what another of them will claim until that one takes it (components/providers/handover.ts).
   */
  handover: z.record(z.string(), z.array(z.string())).optional(),
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
  newerFeatureRules(s, (path, message) => ctx.addIssue({ code: "custom", path: [path], message }));
}

/**
 * The rules of the server's newer stream features (2.11 and 2.12). Where the server would quietly
 * turn another setting on, the user is asked to write it, so the configuration says what runs.
 */
function newerFeatureRules(s: z.infer<z.ZodObject<typeof streamConfigShape>>, refuse: (path: string, message: string) => void): void {
  const origin = s.mirror ? "a mirror" : undefined;
  if (s.subjectDeleteMarkerTtl) {
    const ttl = parseDuration(s.subjectDeleteMarkerTtl);
    if ("nanos" in ttl && ttl.nanos > 0 && ttl.nanos < 1_000_000_000) refuse("subjectDeleteMarkerTtl", "expected subjectDeleteMarkerTtl of at least 1s");
    if (!s.allowMsgTtl) refuse("subjectDeleteMarkerTtl", "expected allowMsgTtl: true with subjectDeleteMarkerTtl (the markers are messages with a TTL)");
    if (!s.allowRollup) refuse("subjectDeleteMarkerTtl", "expected allowRollup: true with subjectDeleteMarkerTtl");
  }
  if (s.allowMsgSchedules) {
    if (s.discard === "new") refuse("allowMsgSchedules", 'message schedules can not go with discard "new"');
    if (!s.allowRollup) refuse("allowMsgSchedules", "expected allowRollup: true with allowMsgSchedules");
  }
  if (s.allowMsgCounter) {
    if (s.discard === "new") refuse("allowMsgCounter", 'a counter stream can not use discard "new"');
    if (s.allowMsgTtl) refuse("allowMsgCounter", "a counter stream can not use message TTLs (allowMsgTtl)");
    if (s.allowMsgSchedules) refuse("allowMsgCounter", "a counter stream can not use message schedules");
    if ((s.retention ?? "limits") !== "limits") refuse("allowMsgCounter", 'a counter stream can only use retention "limits"');
  }
  if (s.persistMode === "async") {
    if (s.storage === "memory") refuse("persistMode", 'persistMode "async" needs storage "file"');
    if ((s.replicas ?? 1) > 1) refuse("persistMode", 'persistMode "async" is only for streams of 1 replica');
    if (s.allowAtomic) refuse("persistMode", 'persistMode "async" can not go with allowAtomic');
  }
  if (origin) {
    for (const k of ["firstSeq", "subjectDeleteMarkerTtl", "allowMsgCounter", "allowAtomic", "allowBatched", "allowMsgSchedules", "subjectTransform"] as const) {
      if (s[k] !== undefined && s[k] !== false) refuse(k, `${k} does not apply to ${origin}`);
    }
  }
}

export const streamConfigSchema = z.strictObject(streamConfigShape).superRefine(crossFieldRules);

/** The stream's configuration as a user gives it. */
export type StreamConfigArgs = z.infer<typeof streamConfigSchema>;

/** Everything the Stream provider takes: the configuration, the safety guards and the connection. */
export const streamInputsSchema = z
  .strictObject({ ...streamConfigShape, ...safetyShape, ...streamBehaviourShape, connection: connectionSchema })
  .superRefine(crossFieldRules);

export type StreamInputs = z.infer<typeof streamInputsSchema>;
