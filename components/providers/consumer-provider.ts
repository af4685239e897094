/**
 * The Consumer dynamic provider: check, diff, create, read, update and delete of one durable
 * JetStream consumer. Filters are checked against the stream's subjects here, because servers
 * since 2.10 accept a filter that can never match.
 */
import { isDeepStrictEqual } from "node:util";
import type * as pulumi from "@pulumi/pulumi";
import type { ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";
import { ERR, errCodeOf, manager, withRetry } from "../jetstream/client";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { consumerInputsSchema, type ConsumerConfigArgs, type ConsumerInputs } from "../jetstream/consumer-args";
import { coveredBy } from "../jetstream/subjects";
import { describeChanges, diffConsumer, diffConsumerWire, type ConfigDiff } from "../jetstream/update-rules";
import { withoutUnknowns } from "../jetstream/validation";
import { consumerFromWire, consumerToWire, consumerUpdateConfig, type WireConsumerConfig } from "../jetstream/wire";
import { checkInputs, comparableSafety, configForDiff, CREATE_ONLY_KEYS, parseInputs, splitInputs, storedSafety, userInputs, type Safety } from "./inputs";
import { checkAdoption, existingFrom } from "./adoption";
import { approveReplace, takeReplaceApproval } from "./replace-approvals";

export type ConsumerOutputs = ConsumerConfigArgs & Safety & { connection: ConnectionArgs };

export const consumerId = (stream: string, durable: string) => `${stream}/${durable}`;
const label = (stream: string, durable: string) => `consumer ${durable} on stream ${stream}`;

function parseId(id: string): { stream: string; durable: string } {
  const [stream, durable] = id.split("/");
  return { stream, durable };
}

function outputs(stream: string, ci: ConsumerInfo, safety: Safety, connection: ConnectionArgs): ConsumerOutputs {
  return { ...consumerFromWire(stream, ci.config), ...storedSafety(safety), connection };
}

async function info(jsm: JetStreamManager, stream: string, durable: string, c: ConnectionArgs): Promise<ConsumerInfo | undefined> {
  return withRetry(`${label(stream, durable)}: read`, c, async () => {
    try {
      return await jsm.consumers.info(stream, durable);
    } catch (e) {
      const code = errCodeOf(e);
      if (code === ERR.CONSUMER_NOT_FOUND || code === ERR.STREAM_NOT_FOUND) return undefined;
      throw e;
    }
  });
}

/** The stream must exist and capture every filter subject. */
async function checkAgainstStream(jsm: JetStreamManager, config: ConsumerConfigArgs, c: ConnectionArgs, drainOnly = false): Promise<void> {
  const what = label(config.stream, config.durableName);
  const si = await withRetry(`${what}: read stream`, c, async () => {
    try {
      return await jsm.streams.info(config.stream);
    } catch (e) {
      if (errCodeOf(e) === ERR.STREAM_NOT_FOUND) return undefined;
      throw e;
    }
  });
  if (!si) throw new Error(`${what}: stream ${config.stream} does not exist; create the stream first (depend on its Stream resource)`);
  const subjects = si.config.subjects ?? [];
  const filters = config.filterSubjects ?? (config.filterSubject ? [config.filterSubject] : []);
  for (const f of drainOnly ? [] : filters) {
    if (subjects.length > 0 && !coveredBy(f, subjects)) {
      throw new Error(`${what}: filter subject "${f}" is outside the stream's subjects [${subjects.join(", ")}]; it would never receive a message (set drainOnly: true for a durable that only drains what the stream stored before)`);
    }
  }
  if (config.replicas !== undefined && config.replicas > (si.config.num_replicas || 1)) {
    throw new Error(`${what}: replicas ${config.replicas} exceeds the stream's ${si.config.num_replicas} (err_code 10126)`);
  }
}

function refuseReplace(stream: string, durable: string, d: ConfigDiff): Error {
  const replaces = d.changes.filter((ch) => ch.kind === "replace");
  return new Error(
    `${label(stream, durable)}: ${describeChanges(replaces)}. The server can not make ${replaces.length > 1 ? "these changes" : "this change"} in place, ` +
      `and replacing the consumer loses its delivery and acknowledgement state. Revert the change, or set allowReplace: true to replace it.`,
  );
}

export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  return checkAdoption(label(String(news.stream), String(news.durableName)), olds, news, checkInputs(consumerInputsSchema, news).failures, async (known) => {
    const parsed = splitInputs(parseInputs(consumerInputsSchema, known, `consumer ${String(known.durableName)}`));
    const config = startingConfig(parsed.config, parsed.safety);
    const existing = await info(await manager(parsed.connection), config.stream, config.durableName, parsed.connection);
    if (!existing) return undefined;
    return existingFrom(diffConsumerWire(existing.config as WireConsumerConfig, consumerToWire(config), config.stream));
  });
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

export async function diff(id: string, olds: ConsumerOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
  const known = withoutUnknowns(userInputs(news));
  // A start not known yet (the stream is being updated in this preview) is still no change.
  const gaps = known.gaps.filter(([top]) => !(CREATE_ONLY_KEYS as readonly string[]).includes(top));
  const newInputs = { ...(known.value as Record<string, unknown>), ...(gaps.length < known.gaps.length ? { startAfterSeq: 0 } : {}) } as Partial<ConsumerInputs>;
  const { config: oldConfig, safety: oldSafety, connection: oldConnection } = splitInputs(olds);
  const { config: knownConfig, safety: newSafety } = splitInputs({ ...newInputs, connection: oldConnection } as ConsumerInputs);
  const merged = configForDiff(oldConfig as ConsumerConfigArgs, withCreatedStart(knownConfig as Partial<ConsumerConfigArgs>, newSafety, oldConfig as ConsumerConfigArgs), gaps);
  const d = diffConsumer(oldConfig as ConsumerConfigArgs, merged);
  const replaces = d.changes.filter((c) => c.kind === "replace");
  if (replaces.length && !newSafety.allowReplace) throw refuseReplace(merged.stream, merged.durableName, d);
  if (replaces.length) approveReplace(id);
  return {
    changes:
      gaps.length > 0 ||
      d.changes.length > 0 ||
      !isDeepStrictEqual(comparableSafety(oldSafety), comparableSafety(newSafety)) ||
      !isDeepStrictEqual(oldConnection, newInputs.connection),
    replaces: replaces.map((c) => c.field),
    deleteBeforeReplace: true,
  };
}

export async function create(raw: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult<ConsumerOutputs>> {
  const parsed = splitInputs(parseInputs(consumerInputsSchema, raw, `consumer ${String(raw.durableName)}`));
  const { safety, connection } = parsed;
  const config = startingConfig(parsed.config, safety);
  const { stream, durableName } = config;
  const what = label(stream, durableName);
  const id = consumerId(stream, durableName);
  const jsm = await withRetry(`${what}: connect`, connection, () => manager(connection));
  await checkAgainstStream(jsm, config, connection, safety.drainOnly);
  const wire = consumerToWire(config);
  const existing = await info(jsm, stream, durableName, connection);
  if (existing) {
    const d = diffConsumerWire(existing.config as WireConsumerConfig, wire, stream);
    if (d.changes.length === 0) return { id, outs: outputs(stream, existing, safety, connection) };
    if (!safety.adoptExisting) {
      throw new Error(`${what}: already exists with a different configuration (${describeChanges(d.changes)}). Set adoptExisting: true to take it over and update it.`);
    }
    if (d.changes.some((c) => c.kind === "replace")) throw new Error(`${what}: can not adopt: ${describeChanges(d.changes.filter((c) => c.kind === "replace"))}`);
    const updated = await withRetry(`${what}: update`, connection, () => jsm.consumers.update(stream, durableName, consumerUpdateConfig(wire)));
    return { id, outs: outputs(stream, updated, safety, connection) };
  }
  const created = await withRetry(`${what}: create`, connection, async () => {
    try {
      return await jsm.consumers.add(stream, structuredClone(wire));
    } catch (e) {
      // An earlier attempt may have created it before timing out: an identical consumer is ours.
      const again = await info(jsm, stream, durableName, connection).catch(() => undefined);
      if (again && diffConsumerWire(again.config as WireConsumerConfig, wire, stream).changes.length === 0) return again;
      throw e;
    }
  });
  return { id, outs: outputs(stream, created, safety, connection) };
}

export async function read(id: string, props: ConsumerOutputs): Promise<pulumi.dynamic.ReadResult<ConsumerOutputs>> {
  const { stream, durable } = parseId(id);
  const { safety, connection } = splitInputs(props);
  const jsm = await withRetry(`${label(stream, durable)}: connect`, connection, () => manager(connection));
  const live = await info(jsm, stream, durable, connection);
  if (!live) return {};
  return { id, props: outputs(stream, live, safety, connection) };
}

export async function updateConsumer(id: string, olds: ConsumerOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult<ConsumerOutputs>> {
  const { stream, durable } = parseId(id);
  const parsed = splitInputs(parseInputs(consumerInputsSchema, news, label(stream, durable)));
  const { safety, connection } = parsed;
  const oldConfig = splitInputs(olds).config as ConsumerConfigArgs;
  const config = withCreatedStart(parsed.config, safety, oldConfig);
  const d = diffConsumer(oldConfig, config);
  if (d.changes.some((c) => c.kind === "replace")) throw refuseReplace(stream, durable, d);
  const jsm = await withRetry(`${label(stream, durable)}: connect`, connection, () => manager(connection));
  await checkAgainstStream(jsm, config, connection, safety.drainOnly);
  const wire = consumerToWire(config);
  const live = await info(jsm, stream, durable, connection);
  if (!live) throw new Error(`${label(stream, durable)}: was deleted outside Pulumi; run \`pulumi refresh\` and then \`pulumi up\` to create it again`);
  const liveDiff = diffConsumerWire(live.config as WireConsumerConfig, wire, stream);
  if (liveDiff.changes.length === 0) return { outs: outputs(stream, live, safety, connection) };
  if (liveDiff.changes.some((c) => c.kind === "replace")) throw refuseReplace(stream, durable, liveDiff);
  const updated = await withRetry(`${label(stream, durable)}: update`, connection, () => jsm.consumers.update(stream, durable, consumerUpdateConfig(wire)));
  return { outs: outputs(stream, updated, safety, connection) };
}

export async function deleteConsumer(id: string, props: ConsumerOutputs): Promise<void> {
  const { stream, durable } = parseId(id);
  const { safety, connection } = splitInputs(props);
  const what = label(stream, durable);
  const jsm = await withRetry(`${what}: connect`, connection, () => manager(connection));
  const live = await info(jsm, stream, durable, connection);
  if (!live) return;
  const approved = takeReplaceApproval(id);
  if (!safety.forceDelete && !approved) {
    const left = await awaitDrained(jsm, stream, durable, connection, live, safety.drainStallMs ?? DEFAULT_DRAIN_STALL_MS);
    if (left) {
      throw new Error(
        `${what}: has ${left.num_pending} messages not yet delivered and ${left.num_ack_pending} not acknowledged, and its readers made no progress for ${left.stalledMs} ms; refusing to delete it. ` +
          `Let it drain, or set forceDelete: true (in a stack: \`pulumi config set event-bus:forceDelete true\`) and run \`pulumi up\` before deleting.`,
      );
    }
  }
  await withRetry(`${what}: delete`, connection, async () => {
    try {
      await jsm.consumers.delete(stream, durable);
    } catch (e) {
      const code = errCodeOf(e);
      if (code !== ERR.CONSUMER_NOT_FOUND && code !== ERR.STREAM_NOT_FOUND) throw e;
    }
  });
}

/** How long a delete waits for a durable's readers to make progress before refusing (beyond its ack wait, when messages are out for acknowledgement). */
export const DEFAULT_DRAIN_STALL_MS = 10_000;

/** Progress of a durable's readers: what has been delivered and acknowledged so far. */
const progressOf = (ci: ConsumerInfo) => `${ci.delivered.stream_seq}/${ci.ack_floor.stream_seq}`;

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
  stallMs: number,
): Promise<(ConsumerInfo & { stalledMs: number }) | undefined> {
  let ci: ConsumerInfo | undefined = first;
  let progress = progressOf(first);
  let since = Date.now();
  while (ci && ci.num_pending + ci.num_ack_pending > 0) {
    const ackWaitMs = ci.config.ack_wait ? ci.config.ack_wait / 1e6 : 30_000;
    const limit = stallMs + (ci.num_ack_pending > 0 ? ackWaitMs : 0);
    if (Date.now() - since >= limit) return { ...ci, stalledMs: Date.now() - since };
    await new Promise((r) => setTimeout(r, 100));
    ci = await info(jsm, stream, durable, c);
    if (ci && progressOf(ci) !== progress) {
      progress = progressOf(ci);
      since = Date.now();
    }
  }
  return undefined;
}

export const consumerProvider: pulumi.dynamic.ResourceProvider = {
  check,
  diff,
  create,
  read,
  update: updateConsumer,
  delete: deleteConsumer,
};
