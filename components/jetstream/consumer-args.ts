/**
 * What a user writes for a durable JetStream consumer: camelCase fields and duration strings,
 * checked before any server is contacted. Each field is described once, in
 * components/jetstream/consumer-fields.ts; the rules here are the ones between fields.
 */
import { z } from "zod";
import { connectionSchema } from "./connection-args";
import { parseDuration } from "./durations";
import { safetyShape } from "./stream-args";
import { selfOverlaps } from "./subjects";
import { CONSUMER_FIELDS } from "./consumer-fields";
import { shapeOf } from "./fields";
import { flag, name } from "./validation";

export { ACK_POLICY, DELIVER_POLICY, PRIORITY_POLICY, REPLAY_POLICY } from "./consumer-fields";

/** The stream it reads, and the consumer's own fields, one per descriptor. */
export const consumerConfigShape = { stream: name("stream"), ...shapeOf(CONSUMER_FIELDS) };

function crossFieldRules(c: z.infer<z.ZodObject<typeof consumerConfigShape>>, ctx: z.RefinementCtx): void {
  if (c.filterSubject && c.filterSubjects) {
    ctx.addIssue({ code: "custom", path: ["filterSubjects"], message: "expected filterSubject or filterSubjects, not both" });
  }
  for (const [a, b] of selfOverlaps(c.filterSubjects ?? [])) {
    ctx.addIssue({ code: "custom", path: ["filterSubjects"], message: a === b ? `duplicate filter "${a}"` : `filters "${a}" and "${b}" overlap` });
  }
  const policy = c.deliverPolicy ?? "all";
  if (policy === "byStartSequence" && c.optStartSeq === undefined) ctx.addIssue({ code: "custom", path: ["optStartSeq"], message: 'expected optStartSeq with deliverPolicy "byStartSequence"' });
  if (policy !== "byStartSequence" && c.optStartSeq !== undefined) ctx.addIssue({ code: "custom", path: ["optStartSeq"], message: 'optStartSeq goes only with deliverPolicy "byStartSequence"' });
  if (policy === "byStartTime" && c.optStartTime === undefined) ctx.addIssue({ code: "custom", path: ["optStartTime"], message: 'expected optStartTime with deliverPolicy "byStartTime"' });
  if (policy !== "byStartTime" && c.optStartTime !== undefined) ctx.addIssue({ code: "custom", path: ["optStartTime"], message: 'optStartTime goes only with deliverPolicy "byStartTime"' });
  if (c.backoff && c.ackWait) {
    const first = parseDuration(c.backoff[0]);
    const wait = parseDuration(c.ackWait);
    if ("nanos" in first && "nanos" in wait && first.nanos !== wait.nanos) {
      ctx.addIssue({ code: "custom", path: ["ackWait"], message: `with backoff the server waits the first step (${c.backoff[0]}) for an ack; leave ackWait out or set it to ${c.backoff[0]}` });
    }
  }
  if (c.backoff) {
    const maxDeliver = c.maxDeliver ?? -1;
    if (maxDeliver !== -1 && maxDeliver <= c.backoff.length) {
      ctx.addIssue({ code: "custom", path: ["backoff"], message: `expected fewer backoff steps (${c.backoff.length}) than maxDeliver (${maxDeliver})` });
    }
  }
  const push = c.deliverSubject !== undefined;
  const pullOnly = (["maxWaiting", "maxBatch", "maxExpires", "maxBytes"] as const).filter((k) => c[k] !== undefined);
  const pushOnly = (["deliverGroup", "idleHeartbeat", "flowControl", "rateLimitBps"] as const).filter((k) => c[k] !== undefined);
  if (push) for (const k of pullOnly) ctx.addIssue({ code: "custom", path: [k], message: `${k} applies only to pull consumers (no deliverSubject)` });
  if (!push) for (const k of pushOnly) ctx.addIssue({ code: "custom", path: [k], message: `${k} applies only to push consumers (set deliverSubject)` });
  if (c.flowControl && !c.idleHeartbeat) ctx.addIssue({ code: "custom", path: ["flowControl"], message: "expected idleHeartbeat with flowControl" });
  if (c.ackPolicy === "none" && c.maxAckPending !== undefined && c.maxAckPending !== -1) {
    ctx.addIssue({ code: "custom", path: ["maxAckPending"], message: 'maxAckPending has no effect with ackPolicy "none"' });
  }
  const priority = c.priorityPolicy ?? "none";
  if (priority !== "none" && !c.priorityGroups) ctx.addIssue({ code: "custom", path: ["priorityPolicy"], message: `expected priorityGroups with priorityPolicy "${priority}"` });
  if (priority === "none" && c.priorityGroups) ctx.addIssue({ code: "custom", path: ["priorityGroups"], message: 'expected a priorityPolicy other than "none" with priorityGroups' });
  if (priority !== "pinnedClient" && c.priorityTimeout !== undefined) ctx.addIssue({ code: "custom", path: ["priorityTimeout"], message: 'priorityTimeout applies only to priorityPolicy "pinnedClient"' });
  if (push && priority !== "none") ctx.addIssue({ code: "custom", path: ["priorityPolicy"], message: "priority groups apply only to pull consumers (no deliverSubject)" });
  for (const k of ["ackWait", "idleHeartbeat", "maxExpires", "inactiveThreshold", "priorityTimeout"] as const) {
    const text = c[k];
    const d = text === undefined ? undefined : parseDuration(text);
    if (d && "nanos" in d && d.nanos === 0) ctx.addIssue({ code: "custom", path: [k], message: `expected ${k} above 0 (leave it out for the default)` });
  }
}

export const consumerConfigSchema = z.strictObject(consumerConfigShape).superRefine(crossFieldRules);
export type ConsumerConfigArgs = z.infer<typeof consumerConfigSchema>;

/** Consumer-only behaviour; never sent to the server. */
export const consumerBehaviourShape = {
  /**
   * The durable drains what its stream still stores after the stream stopped capturing its
   * subjects (a migration hand-over); its filter need not lie inside the stream's subjects.
   */
  drainOnly: flag("drainOnly").optional(),
  /**
   * Where a newly created durable starts: after this stream sequence (deliver by start sequence
   * from the next one); 0 delivers everything the stream holds. Only read on create: a durable's
   * start can not change, so a later value is no change.
   */
  startAfterSeq: z.number({ error: "expected startAfterSeq as a stream sequence" }).int().min(0, { error: "expected startAfterSeq of 0 or more" }).optional(),
  /**
   * Before deleting a durable with undelivered or unacknowledged messages, wait while its readers
   * make progress; give up (and refuse) after this many milliseconds without progress.
   */
  drainStallMs: z.number({ error: "expected drainStallMs in milliseconds" }).int().min(0).max(3_600_000).optional(),
  /**
   * The longest a drain waits at all, progress or not: under traffic that still arrives on the
   * durable's filter its backlog never ends, and the wait refuses, saying what arrived meanwhile.
   */
  drainTimeoutMs: z.number({ error: "expected drainTimeoutMs in milliseconds" }).int().min(0).max(86_400_000).optional(),
};

export const consumerInputsSchema = z
  .strictObject({ ...consumerConfigShape, ...safetyShape, ...consumerBehaviourShape, connection: connectionSchema })
  .superRefine(crossFieldRules);
export type ConsumerInputs = z.infer<typeof consumerInputsSchema>;
