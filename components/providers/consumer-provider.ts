/**
 * The Consumer dynamic provider: check, diff, create, read, update and delete of one durable
 * JetStream consumer. Filters are checked against the stream's subjects here, because servers
 * since 2.10 accept a filter that can never match.
 *
 * The resource is the durable wherever it lives: a change of its stream is a move, made in one
 * update in the order services that bind once at startup survive: the old durable is drained by
 * the readers bound to it, the durable is created on the new stream, and only then is the old one
 * deleted. Its id keeps the stream it was created on; its `stream` output says where it is.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import { ERR, manager, withRetry } from "../jetstream/client";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { consumerInputsSchema, type ConsumerConfigArgs } from "../jetstream/consumer-args";
import { formatDuration } from "../jetstream/durations";
import { capturedBy, coveredBy, filtersOf, subjectsCollide } from "../jetstream/subjects";
import { claimsOf } from "../jetstream/claims";
import { describeChanges, diffConsumer, diffConsumerWire } from "../jetstream/update-rules";
import { consumerFromWire, consumerToWire, consumerUpdateConfig, type WireConsumerConfig } from "../jetstream/wire";
import { poll } from "../poll";
import { newOwner, ofAnotherStack, otherStack, owns, ownerOf, takenOver, withOwner } from "../jetstream/ownership";
import { checkInputs, parseInputs, splitInputs, storedInputs, storedSafety, type Safety } from "./inputs";
import { checkAdoption, existingFrom } from "./adoption";
import { counted } from "./in-flight";
import { outdated, SCHEMA_VERSION } from "./schema";
import { configureFrom, declare, forceDeleteOf, reach } from "./provider-config";
import { connect, deleteOrGone, mustRecreate, planChange, readOrGone, SET_FORCE_DELETE, withReplacementNote } from "./jetstream-resource";

/** What the engine stores for a durable: its live configuration, its owner stamp, the safety flags and the (secret) connection. */
export type ConsumerOutputs = ConsumerConfigArgs & Safety & { owner?: string; schemaVersion?: number; connection: ConnectionArgs };

const GONE = [ERR.CONSUMER_NOT_FOUND, ERR.STREAM_NOT_FOUND];
const LOSES = "loses its delivery and acknowledgement state";

export const consumerId = (stream: string, durable: string) => `${stream}/${durable}`;
const label = (stream: string, durable: string) => `consumer ${durable} on stream ${stream}`;

/** Where a durable is: its stored `stream` (it may have moved since its id was given), else its id's. */
function locate(id: string, props?: Partial<ConsumerConfigArgs>): { stream: string; durable: string } {
  const [stream, durable] = id.split("/");
  return { stream: props?.stream ?? stream, durable: props?.durableName ?? durable };
}

/** The outputs for a live durable; `owner` is the stamp it carries (a refresh keeps the state's, whoever holds it now). */
function outputs(stream: string, ci: ConsumerInfo, safety: Safety, connection: ConnectionArgs, owner = ownerOf(ci.config)): ConsumerOutputs {
  return { ...consumerFromWire(stream, ci.config), ...storedSafety(safety), ...(owner ? { owner } : {}), schemaVersion: SCHEMA_VERSION, connection };
}

function info(jsm: JetStreamManager, stream: string, durable: string, c: ConnectionArgs): Promise<ConsumerInfo | undefined> {
  return readOrGone(`${label(stream, durable)}: read`, c, GONE, () => jsm.consumers.info(stream, durable));
}

/**
 * Applies a wanted configuration to a live durable: the configuration update, then the pause,
 * which the server takes only through its pause API once a consumer exists.
 */
export async function applyUpdate(jsm: JetStreamManager, stream: string, durable: string, wire: WireConsumerConfig, c: ConnectionArgs): Promise<ConsumerInfo> {
  const what = label(stream, durable);
  const updated = await withRetry(`${what}: update`, c, () => jsm.consumers.update(stream, durable, consumerUpdateConfig(wire)));
  if (!diffConsumerWire(updated.config as WireConsumerConfig, wire).changes.some((ch) => ch.field === "pauseUntil")) return updated;
  const paused = await withRetry(`${what}: ${wire.pause_until ? "pause" : "resume"}`, c, () =>
    wire.pause_until ? jsm.consumers.pause(stream, durable, new Date(wire.pause_until)) : jsm.consumers.resume(stream, durable),
  );
  // The pause API's answer is the pause in force (in a cluster, a read right after may not show it yet).
  return { ...updated, config: { ...updated.config, pause_until: paused.paused ? paused.pause_until : undefined } };
}

/** The stream must exist and capture every filter subject. */
async function checkAgainstStream(jsm: JetStreamManager, config: ConsumerConfigArgs, c: ConnectionArgs, drainOnly = false): Promise<void> {
  const what = label(config.stream, config.durableName);
  const si = await readOrGone(`${what}: read stream`, c, [ERR.STREAM_NOT_FOUND], () => jsm.streams.info(config.stream));
  if (!si) throw new Error(`${what}: stream ${config.stream} does not exist; create the stream first (depend on its Stream resource)`);
  const subjects = si.config.subjects ?? [];
  // No filter reads all the stream captures: nothing to check.
  const filters = config.filterSubjects || config.filterSubject ? filtersOf(config) : [];
  for (const f of drainOnly ? [] : filters) {
    if (subjects.length > 0 && !coveredBy(f, subjects)) {
      throw new Error(`${what}: filter subject "${f}" is outside the stream's subjects [${subjects.join(", ")}]; it would never receive a message (set drainOnly: true for a durable that only drains what the stream stored before)`);
    }
  }
  if (config.replicas !== undefined && config.replicas > (si.config.num_replicas || 1)) {
    throw new Error(`${what}: replicas ${config.replicas} exceeds the stream's ${si.config.num_replicas} (err_code 10126)`);
  }
  // The stream's consumerLimits are upper bounds the server enforces; a durable left at a default above them is refused.
  const limits = si.config.consumer_limits ?? {};
  const wire = consumerToWire(config);
  if (limits.max_ack_pending && (wire.max_ack_pending ?? 0) > limits.max_ack_pending) {
    throw new Error(`${what}: maxAckPending ${wire.max_ack_pending} exceeds stream ${config.stream}'s consumerLimits.maxAckPending ${limits.max_ack_pending}; set maxAckPending to at most ${limits.max_ack_pending}`);
  }
  if (limits.inactive_threshold && (wire.inactive_threshold ?? 0) > limits.inactive_threshold) {
    throw new Error(`${what}: inactiveThreshold exceeds stream ${config.stream}'s consumerLimits.inactiveThreshold (${formatDuration(limits.inactive_threshold)}); set it to at most that`);
  }
}

/**
 * A durable has one start sequence for all its filter subjects, while its stream may have claimed
 * each at another sequence. Starting after `start` is exact for a filter only when the stream holds
 * nothing on it between its claim and `start`: before it, what arrived after the claim would be
 * skipped; after it, what an earlier incarnation stored before the claim would be processed again.
 * Refuses, naming the filter and what it holds there, when the one start can not be exact. A
 * filter whose claim the stream does not carry is not judged (single-filter durables start at
 * their own claim).
 */
async function checkOneStart(jsm: JetStreamManager, config: ConsumerConfigArgs, start: number, c: ConnectionArgs): Promise<void> {
  const filters = filtersOf(config);
  if (filters.length < 2) return;
  const what = label(config.stream, config.durableName);
  const si = await readOrGone(`${what}: read stream`, c, [ERR.STREAM_NOT_FOUND], () => jsm.streams.info(config.stream));
  if (!si) return;
  const claims = claimsOf(si.config, si.state.last_seq);
  for (const f of filters) {
    const subject = Object.keys(claims).find((s) => subjectsCollide(s, f));
    if (subject === undefined || claims[subject] === start) continue;
    const [low, high] = claims[subject] < start ? [claims[subject], start] : [start, claims[subject]];
    // The server's message get takes next_by_subj (a wildcard too) from `seq` on; the client's type omits it.
    const first = await withRetry(`${what}: find a message on ${f} after ${low}`, c, () => jsm.streams.getMessage(config.stream, { next_by_subj: f, seq: low + 1 } as unknown as { seq: number }));
    if (!first || first.seq > high) continue;
    const effect = claims[subject] < start ? `skip what arrived on it after stream ${config.stream} claimed ${subject} at ${claims[subject]}` : `process again what stream ${config.stream} stored on it before it claimed ${subject} at ${claims[subject]} (an earlier incarnation)`;
    throw new Error(
      `${what}: starting after ${start} for all its filter subjects would ${effect}, from sequence ${first.seq} on; ` +
        `a durable has one start sequence, and its stream claimed its filters at different ones. Give each filter subject a durable of its own (each starts at its own claim), or purge those messages first`,
    );
  }
}

export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  declare(news.connection);
  const checked = await checkAdoption(label(String(news.stream), String(news.durableName)), olds, news, checkInputs(consumerInputsSchema, news).failures, async (known) => {
    const parsed = splitInputs(parseInputs(consumerInputsSchema, known, `consumer ${String(known.durableName)}`));
    const config = startingConfig(parsed.config, parsed.safety);
    const existing = await info(await manager(parsed.connection), config.stream, config.durableName, parsed.connection);
    if (!existing) return undefined;
    return { ...existingFrom(diffConsumerWire(existing.config as WireConsumerConfig, consumerToWire(config))), otherStack: otherStack(parsed.safety.stack, existing.config) };
  });
  return { ...checked, inputs: withReplacementNote(olds, checked.inputs, planned, IDENTITY) };
}

/**
 * The configuration a durable wants, with where it starts taken from the live one when the start
 * was given as `startAfterSeq`: that start is fixed at creation and is no change afterwards.
 */
function withCreatedStart<C extends Partial<ConsumerConfigArgs>>(config: C, safety: Safety, old: ConsumerConfigArgs): C {
  if (safety.startAfterSeq === undefined) return config;
  return { ...config, deliverPolicy: old.deliverPolicy, optStartSeq: old.optStartSeq };
}

/** The configuration to create: deliver by start sequence right after `startAfterSeq` when that is given and above 0. */
export function startingConfig(config: ConsumerConfigArgs, safety: Safety): ConsumerConfigArgs {
  if (!safety.startAfterSeq) return config;
  return { ...config, deliverPolicy: "byStartSequence", optStartSeq: safety.startAfterSeq + 1 };
}

/** A durable's name is what it is: a new name is a new durable (created before the old one is deleted); a new stream is a move. */
const IDENTITY = ["durableName"];

/** The configuration diff between two sets of inputs, when both are valid and known. */
function planned(olds: Record<string, unknown>, news: Record<string, unknown>) {
  const o = consumerInputsSchema.safeParse(olds);
  const n = consumerInputsSchema.safeParse(news);
  if (!o.success || !n.success) return undefined;
  const old = splitInputs(o.data);
  const next = splitInputs(n.data);
  return diffConsumer(old.config, withCreatedStart(next.config, next.safety, old.config));
}

export async function diff(id: string, olds: ConsumerOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
  const { stream, durable } = locate(id, olds);
  return planChange<ConsumerConfigArgs>({
    what: label(String(news.stream ?? stream), String(news.durableName ?? durable)),
    identity: IDENTITY,
    deleteBeforeReplace: false,
    loses: LOSES,
    olds: storedInputs(olds),
    news,
    diff: diffConsumer,
    outdated: outdated(olds) !== undefined,
    // A start not known yet (the stream is being updated in this preview) is still no change.
    adjust: (known, safety, old, unknownStart) => withCreatedStart(known, unknownStart ? { ...safety, startAfterSeq: 0 } : safety, old),
  });
}

export async function create(raw: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult<ConsumerOutputs>> {
  const parsed = splitInputs(parseInputs(consumerInputsSchema, raw, `consumer ${String(raw.durableName)}`));
  const { safety, connection } = parsed;
  const config = startingConfig(parsed.config, safety);
  const { stream, durableName } = config;
  const what = label(stream, durableName);
  const id = consumerId(stream, durableName);
  const jsm = await connect(what, connection);
  await checkAgainstStream(jsm, config, connection, safety.drainOnly);
  if (safety.startAfterSeq !== undefined) await checkOneStart(jsm, config, safety.startAfterSeq, connection);
  const owner = newOwner();
  const wire = withOwner(consumerToWire(config), owner, safety.stack);
  // Identical to what was wanted, but stamped by another resource (or by none): stamped as ours.
  const stamped = async (ci: ConsumerInfo) => (ownerOf(ci.config) === owner ? ci : applyUpdate(jsm, stream, durableName, wire, connection));
  const existing = await info(jsm, stream, durableName, connection);
  if (existing) {
    const theirs = otherStack(safety.stack, existing.config);
    if (theirs && !safety.adoptExisting) throw ofAnotherStack(what, theirs, safety.stack!, true);
    const d = diffConsumerWire(existing.config as WireConsumerConfig, wire);
    if (d.changes.length === 0) return { id, outs: outputs(stream, await stamped(existing), safety, connection) };
    if (!safety.adoptExisting) {
      throw new Error(`${what}: already exists with a different configuration (${describeChanges(d.changes)}). Set event-bus:adoptExisting to "true" to take it over and update it.`);
    }
    if (d.changes.some((c) => c.kind === "replace")) throw new Error(`${what}: can not adopt: ${describeChanges(d.changes.filter((c) => c.kind === "replace"))}`);
    return { id, outs: outputs(stream, await applyUpdate(jsm, stream, durableName, wire, connection), safety, connection) };
  }
  return { id, outs: outputs(stream, await stamped(await add(jsm, stream, durableName, wire, connection)), safety, connection) };
}

/** Adds the durable; an earlier attempt that created it before timing out counts (an identical consumer is ours). */
function add(jsm: JetStreamManager, stream: string, durable: string, wire: WireConsumerConfig, c: ConnectionArgs): Promise<ConsumerInfo> {
  return withRetry(`${label(stream, durable)}: create`, c, async () => {
    try {
      return await jsm.consumers.add(stream, structuredClone(wire));
    } catch (e) {
      const again = await info(jsm, stream, durable, c).catch(() => undefined);
      if (again && diffConsumerWire(again.config as WireConsumerConfig, wire).changes.length === 0) return again;
      throw e;
    }
  });
}

export async function read(id: string, props: ConsumerOutputs): Promise<pulumi.dynamic.ReadResult<ConsumerOutputs>> {
  const { stream, durable } = locate(id, props);
  const { safety, connection: stored } = splitInputs(props);
  const { jsm, connection } = await reach(label(stream, durable), stored);
  const live = await info(jsm, stream, durable, connection);
  if (!live) return {};
  return { id, props: outputs(stream, live, safety, connection, props.owner) };
}

export async function updateConsumer(id: string, olds: ConsumerOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult<ConsumerOutputs>> {
  const { stream, durable } = locate(id, olds);
  const parsed = splitInputs(parseInputs(consumerInputsSchema, news, label(stream, durable)));
  const { safety, connection } = parsed;
  const oldConfig = splitInputs(storedInputs(olds)).config as ConsumerConfigArgs;
  // A durable stored before stamps (an earlier release) is stamped by its first update.
  const owner = olds.owner ?? newOwner();
  if (parsed.config.stream !== stream) {
    const jsm = await connect(label(parsed.config.stream, durable), connection);
    return { outs: await moveConsumer(jsm, stream, startingConfig(parsed.config, safety), safety, connection, { stored: olds.owner, owner }) };
  }
  const config = withCreatedStart(parsed.config, safety, oldConfig);
  const what = label(stream, durable);
  const recreate = mustRecreate(what, LOSES, diffConsumer(oldConfig, config), safety.allowReplace);
  const jsm = await connect(what, connection);
  await checkAgainstStream(jsm, config, connection, safety.drainOnly);
  const wire = withOwner(consumerToWire(config), owner, safety.stack);
  const live = await info(jsm, stream, durable, connection);
  if (!live) throw new Error(`${what}: was deleted outside Pulumi; run \`pulumi refresh\` and then \`pulumi up\` to create it again`);
  if (!owns(olds.owner, live.config)) throw takenOver(what, olds.owner, live.config);
  const liveDiff = diffConsumerWire(live.config as WireConsumerConfig, wire);
  if (liveDiff.changes.length === 0 && ownerOf(live.config) === owner) return { outs: outputs(stream, live, safety, connection) };
  if (recreate || mustRecreate(what, LOSES, liveDiff, safety.allowReplace)) {
    // Allowed by allowReplace: the durable and its delivery state go, a new one takes the name.
    await deleteOrGone(`${what}: delete (replaced)`, connection, GONE, () => jsm.consumers.delete(stream, durable));
    return { outs: outputs(stream, await add(jsm, stream, durable, wire, connection), safety, connection) };
  }
  return { outs: outputs(stream, await applyUpdate(jsm, stream, durable, wire, connection), safety, connection) };
}

export async function deleteConsumer(id: string, props: ConsumerOutputs): Promise<void> {
  const { stream, durable } = locate(id, props);
  const { safety, connection: stored } = splitInputs(props);
  const what = label(stream, durable);
  const { jsm, connection } = await reach(what, stored);
  const live = await info(jsm, stream, durable, connection);
  // Gone, or taken over by another resource (a replacement, a rename, another stack): not ours to delete.
  if (!live || !owns(props.owner, live.config)) return;
  if (!forceDeleteOf(safety.forceDelete)) {
    const left = await awaitDrained(jsm, stream, durable, connection, live, drainLimits(safety));
    if (left) throw undrained(what, left, "delete it");
  }
  await deleteOrGone(`${what}: delete`, connection, GONE, () => jsm.consumers.delete(stream, durable));
}

function undrained(what: string, left: Undrained, action: string): Error {
  const why =
    left.arrived !== undefined
      ? `and after ${left.waitedMs} ms of draining (drainTimeoutMs) messages still arrive on its filter: ${left.arrived} new since the wait began; move what publishes there first`
      : `and its readers made no progress for ${left.stalledMs} ms`;
  // forceDelete drops what a reader is still failing, before its last delivery would dead-letter it.
  const redelivered = left.num_redelivered > 0 ? ` ${left.num_redelivered} of them had been redelivered: with the readers running they reach maxDeliver and the readers' dead-letter subject; forceDelete drops them before that.` : "";
  return new Error(
    `${what}: has ${left.num_pending} messages not yet delivered and ${left.num_ack_pending} not acknowledged, ${why}; refusing to ${action}. ` +
      `Let it drain (its readers must be running), or set event-bus:forceDelete (${SET_FORCE_DELETE}, which drops them) and run \`pulumi up\`.${redelivered}`,
  );
}

/**
 * Moves a durable from stream `from` to `config.stream`, in the order that loses nothing for
 * readers bound once at startup: the old durable is drained by its readers (which needs its old
 * stream to have released the durable's subjects, so that the backlog ends), the durable is created
 * on the new stream (from the sequence that stream claimed the subjects at), and the old one is
 * deleted. A pod that starts before the create binds the old durable and helps drain it; one that
 * starts after it binds the new one. Run again after an interruption, it picks up where it stopped.
 */
export async function moveConsumer(
  jsm: JetStreamManager,
  from: string,
  config: ConsumerConfigArgs,
  safety: Safety,
  c: ConnectionArgs,
  stamp: { stored: string | undefined; owner: string },
): Promise<ConsumerOutputs> {
  const { stream: to, durableName: durable } = config;
  const what = `consumer ${durable}: move from stream ${from} to ${to}`;
  await checkAgainstStream(jsm, config, c, safety.drainOnly);
  // Before anything changes: the durable's one start must fit every filter on its new stream.
  if (safety.startAfterSeq !== undefined) await checkOneStart(jsm, config, safety.startAfterSeq, c);
  // Before anything changes: a durable of another stack already where this one moves is that stack's.
  const there = await info(jsm, to, durable, c);
  const theirs = there && otherStack(safety.stack, there.config);
  if (theirs && !safety.adoptExisting) throw ofAnotherStack(`${what}: the durable on ${to}`, theirs, safety.stack!, true);
  const found = await info(jsm, from, durable, c);
  // One another resource has taken over stays where it is, for its owner.
  const old = found && owns(stamp.stored, found.config) ? found : undefined;
  if (old && !safety.forceDelete) {
    const source = await readOrGone(`${what}: read stream ${from}`, c, [ERR.STREAM_NOT_FOUND], () => jsm.streams.info(from));
    const still = source ? filtersOf(config).filter((f) => coveredBy(f, capturedBy(source.config))) : [];
    if (still.length) {
      throw new Error(`${what}: stream ${from} still captures ${still.map((f) => `"${f}"`).join(", ")}, so the durable there would never drain; move the subjects to ${to} first (update the streams before the durable)`);
    }
    const left = await awaitDrained(jsm, from, durable, c, old, drainLimits(safety));
    if (left) throw undrained(`${what}: the durable on ${from}`, left, "move it");
  }
  const wire = withOwner(consumerToWire(config), stamp.owner, safety.stack);
  const added = await add(jsm, to, durable, wire, c);
  // One already there (a move interrupted after the create, run again) is stamped as this resource's.
  const created = ownerOf(added.config) === stamp.owner ? added : await applyUpdate(jsm, to, durable, wire, c);
  if (old) await deleteOrGone(`${what}: delete on ${from}`, c, GONE, () => jsm.consumers.delete(from, durable));
  return outputs(to, created, safety, c);
}

/** How long a delete waits for a durable's readers to make progress before refusing (beyond its ack wait, when messages are out for acknowledgement). */
export const DEFAULT_DRAIN_STALL_MS = 10_000;
/** The longest a drain waits, progress or not. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 300_000;

const drainLimits = (s: Safety) => ({ stallMs: s.drainStallMs ?? DEFAULT_DRAIN_STALL_MS, timeoutMs: s.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS });

/** Why a drain gave up: its readers stalled, or (arrived) messages kept arriving past the timeout. */
type Undrained = ConsumerInfo & { stalledMs: number; waitedMs: number; arrived?: number };

/**
 * Progress of a durable's readers: every delivery so far (a redelivery of a message they failed
 * included: the consumer sequence counts each) and what they acknowledged.
 */
const progressOf = (ci: ConsumerInfo) => `${ci.delivered.consumer_seq}/${ci.ack_floor.stream_seq}`;

/**
 * The longest a drain waits: `timeoutMs`, or, while messages are out for acknowledgement, long
 * enough for one to run through every delivery it has left (maxDeliver ack waits) and reach the
 * reader's dead-letter handling, whichever is longer. Pure.
 */
export function drainDeadlineMs(ci: Pick<ConsumerInfo, "num_ack_pending"> & { config: { max_deliver?: number; ack_wait?: number } }, limits: { stallMs: number; timeoutMs: number }): number {
  const ackWaitMs = ci.config.ack_wait ? ci.config.ack_wait / 1e6 : 30_000;
  const deliveries = ci.config.max_deliver && ci.config.max_deliver > 0 ? ci.config.max_deliver : 0;
  return ci.num_ack_pending > 0 ? Math.max(limits.timeoutMs, deliveries * ackWaitMs + limits.stallMs) : limits.timeoutMs;
}

/**
 * Waits until the durable has nothing undelivered or unacknowledged (its readers are draining it:
 * a migration moved its subjects away). Returns undefined once drained or gone, or the last state
 * when the readers made no progress for `stallMs` (plus the ack wait while messages are out).
 */
async function awaitDrained(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  c: ConnectionArgs,
  first: ConsumerInfo,
  limits: { stallMs: number; timeoutMs: number },
): Promise<Undrained | undefined> {
  const { stallMs, timeoutMs } = limits;
  let ci: ConsumerInfo | undefined = first;
  let progress = progressOf(first);
  const began = Date.now();
  let since = began;
  // Everything on its filter it has seen or still has to: what grows here arrived during the wait.
  const seen = (x: ConsumerInfo) => x.delivered.consumer_seq + x.num_pending;
  // No fixed deadline: the wait lasts while the readers make progress.
  const outcome = await poll({ timeoutMs: Number.POSITIVE_INFINITY, intervalMs: 100 }, async (n) => {
    if (n > 1) ci = await info(jsm, stream, durable, c);
    if (!ci || ci.num_pending + ci.num_ack_pending === 0) return { left: undefined };
    if (progressOf(ci) !== progress) {
      progress = progressOf(ci);
      since = Date.now();
    }
    const ackWaitMs = ci.config.ack_wait ? ci.config.ack_wait / 1e6 : 30_000;
    const limit = stallMs + (ci.num_ack_pending > 0 ? ackWaitMs : 0);
    const now = Date.now();
    if (now - since >= limit) return { left: { ...ci, stalledMs: now - since, waitedMs: now - began } };
    if (now - began >= drainDeadlineMs(ci, { stallMs, timeoutMs })) return { left: { ...ci, stalledMs: now - since, waitedMs: now - began, arrived: Math.max(0, seen(ci) - seen(first)) } };
    return undefined;
  });
  return outcome?.left;
}

/** Every operation counted while it runs (in-flight.ts): a host whose engine is gone finishes them first. */
export const consumerProvider: pulumi.dynamic.ResourceProvider = counted({
  configure: async (req) => configureFrom(req.config),
  check,
  diff,
  create,
  read,
  update: updateConsumer,
  delete: deleteConsumer,
});
