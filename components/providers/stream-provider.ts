/**
 * The Stream dynamic provider: check, diff, create, read, update and delete of one JetStream
 * stream through the management API. Loaded by the engine's dynamic-provider host from the
 * compiled file (see components/providers/stream.ts), or called directly in tests.
 */
import type * as pulumi from "@pulumi/pulumi";
import { DeliverPolicy, type ConsumerConfig, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import { describe, ERR, errCodeOf, JetStreamOperationError, manager, withRetry } from "../jetstream/client";
import { poll } from "../poll";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { streamInputsSchema, type StreamConfigArgs } from "../jetstream/stream-args";
import { capturedBy, subjectsCollide } from "../jetstream/subjects";
import { describeChanges, diffStream, diffStreamWire } from "../jetstream/update-rules";
import { streamFromWire, streamToWire, type WireStreamConfig } from "../jetstream/wire";
import { newOwner, ofAnotherStack, otherStack, owns, ownerOf, takenOver, withOwner } from "../jetstream/ownership";
import { claimsFor, claimsOf, nextClaims, recoveredClaim, releasedOf, takenOverClaims, trustedClaims, withClaims, type Claims } from "../jetstream/claims";
import { checkInputs, parseInputs, splitInputs, storedInputs, storedSafety, type Safety } from "./inputs";
import { checkAdoption, existingFrom } from "./adoption";
import { counted } from "./in-flight";
import { outdated, SCHEMA_VERSION } from "./schema";
import { configureFrom, declare, forceDeleteOf, reach } from "./provider-config";
import { connect, deleteOrGone, mustRecreate, planChange, readOrGone, SET_FORCE_DELETE, withReplacementNote } from "./jetstream-resource";
import { retirementHold, type RetirementHold } from "./retirement";
import { carryMarked, giveBack, keptForClaim, oneChangeAtATime, recordReleases, take, type Handover, type Taken } from "./handover";
import { withWrittenByOthers } from "../jetstream/provider-keys";
import { durablesToRecreate, withDurablesToRecreate } from "../jetstream/recreated-durables";

/**
 * What the engine stores for a stream: its live configuration, its claims, the sequence it had
 * reached when the provider last changed it (`lastSeq`: claims written on the server before it are
 * not this state's), its owner stamp, the safety flags and the (secret) connection.
 */
export type StreamOutputs = StreamConfigArgs & Safety & { claims: Claims; lastSeq?: number; owner?: string; schemaVersion?: number; connection: ConnectionArgs };

const label = (name: string) => `stream ${name}`;
const LOSES = "deletes every message it holds";

/**
 * The outputs for a live stream; `owner` is the stamp it carries (a refresh keeps the state's,
 * whoever holds it now), `lastSeq` the sequence it had reached when the provider changed it (a
 * refresh keeps the state's).
 */
function outputs(info: StreamInfo, safety: Safety, connection: ConnectionArgs, claims: Claims, owner = ownerOf(info.config), lastSeq: number | undefined = info.state.last_seq): StreamOutputs {
  return { ...streamFromWire(info.config), ...storedSafety(safety), claims, ...(lastSeq !== undefined ? { lastSeq } : {}), ...(owner ? { owner } : {}), schemaVersion: SCHEMA_VERSION, connection };
}

function info(jsm: JetStreamManager, name: string, c: ConnectionArgs): Promise<StreamInfo | undefined> {
  return readOrGone(`${label(name)}: read`, c, [ERR.STREAM_NOT_FOUND], () => jsm.streams.info(name));
}

/**
 * The claims of a live stream of the stack's own, judged against what the state recorded
 * (claims.ts, trustedClaims), with those missing (state and server of an earlier release, a
 * subject added outside Pulumi, a stale claim left on the server) recovered from what it holds:
 * just before its first message on the subject after the state's last sequence (recoveredClaim).
 * Never 0 for want of a claim.
 */
async function knownClaims(jsm: JetStreamManager, si: StreamInfo, state: Pick<StreamOutputs, "claims" | "lastSeq" | "subjects" | "name">, c: ConnectionArgs): Promise<Claims> {
  const { claims, unclaimedAfter } = trustedClaims(
    { captured: state.subjects ? capturedBy({ name: state.name, subjects: state.subjects }) : [], claims: state.claims ?? {}, lastSeq: state.lastSeq },
    claimsOf(si.config, si.state.last_seq),
    capturedBy(si.config),
    releasedOf(si.config, si.state.last_seq),
  );
  for (const [subject, after] of Object.entries(unclaimedAfter)) {
    // The server's message get takes next_by_subj (a wildcard too) from `seq` on; the client's type omits it.
    const first = await withRetry(`${label(si.config.name)}: find the first message on ${subject}`, c, () => jsm.streams.getMessage(si.config.name, { next_by_subj: subject, seq: after + 1 } as unknown as { seq: number }));
    claims[subject] = recoveredClaim(first?.seq, si.state.last_seq);
  }
  return claims;
}

/** On a subject overlap, names the stream that already holds the subject. */
async function explainOverlap(jsm: JetStreamManager, wire: WireStreamConfig, c: ConnectionArgs, e: unknown): Promise<JetStreamOperationError> {
  const base = describe(`${label(wire.name)}: subjects overlap with an existing stream`, e, c);
  try {
    const holders: string[] = [];
    for await (const si of jsm.streams.list()) {
      if (si.config.name === wire.name) continue;
      for (const theirs of si.config.subjects ?? []) {
        for (const ours of wire.subjects ?? []) {
          if (subjectsCollide(ours, theirs)) holders.push(`"${ours}" collides with "${theirs}" of stream ${si.config.name}`);
        }
      }
    }
    if (holders.length) return new JetStreamOperationError(`${base.message}: ${holders.join("; ")}`, ERR.SUBJECTS_OVERLAP);
  } catch {
    /* the original error is still the best we have */
  }
  return base;
}

/**
 * A consumer's configuration to make it again on a recreated stream: as it was, except a start
 * sequence past the new stream's end (it starts empty), which would skip what arrives first.
 */
export function recreatable(c: ConsumerConfig): Partial<ConsumerConfig> {
  const { opt_start_seq: _seq, ...rest } = c;
  return c.deliver_policy === DeliverPolicy.StartSequence ? { ...rest, deliver_policy: DeliverPolicy.All } : c;
}

/** Makes again each durable that is not on the stream (an identical one made by an earlier attempt counts). */
async function recreateDurables(jsm: JetStreamManager, stream: string, durables: ReadonlyArray<Partial<ConsumerConfig>>, c: ConnectionArgs): Promise<void> {
  for (const d of durables) {
    const name = d.durable_name ?? d.name ?? "";
    const there = await readOrGone(`${label(stream)}: read consumer ${name}`, c, [ERR.CONSUMER_NOT_FOUND], () => jsm.consumers.info(stream, name));
    if (!there) await withRetry(`${label(stream)}: recreate consumer ${name}`, c, () => jsm.consumers.add(stream, d));
  }
}

/** Default wait for another stream to release subjects this one claims. */
export const DEFAULT_HANDOVER_WAIT_MS = 15_000;

/**
 * Runs a create or update; while the server answers "subjects overlap", polls quickly (the
 * stream that releases them is being updated in the same deployment) until `waitMs` has passed,
 * then fails naming the stream that still holds them. With the hand-over, every stream of the
 * program that held them has been taken from, so what still holds them is outside the program:
 * it fails at once, giving back what it took, rather than leave that uncaptured while it waits.
 */
async function claimSubjects(
  what: "create" | "update",
  jsm: JetStreamManager,
  wire: WireStreamConfig,
  c: ConnectionArgs,
  waitMs: number,
  op: () => Promise<StreamInfo>,
  handover?: Handover,
  prepare?: () => Promise<void>,
  stack?: string,
): Promise<StreamInfo> {
  let overlap: unknown;
  // What this claim took from the program's other streams: given back if it fails.
  const taken: Taken[] = [];
  let claimed: StreamInfo;
  try {
    const done = await poll({ timeoutMs: waitMs, intervalMs: 2, maxIntervalMs: 100 }, async () => {
      try {
        // One attempt at a time in this process (handover.ts): a take never interleaves with the
        // holder's own read and write. Whatever the attempt must read goes before the take:
        // between the take and the claim, the subjects are captured by no stream.
        return await oneChangeAtATime(async () => {
          await prepare?.();
          if (handover && wire.subjects?.length) taken.push(...(await take(jsm, wire.name, wire.subjects, handover, c, stack)));
          return await withRetry(`${label(wire.name)}: ${what}`, c, op);
        });
      } catch (e) {
        if (errCodeOf(e) !== ERR.SUBJECTS_OVERLAP) throw e;
        if (handover) throw await explainOverlap(jsm, wire, c, e);
        overlap = e;
        return undefined;
      }
    });
    if (!done) throw await explainOverlap(jsm, wire, c, overlap);
    claimed = done;
  } catch (e) {
    await giveBack(jsm, wire.name, taken, c).catch((g: Error) => {
      // The claim's own failure stays the error; the one that strands the subjects is added to it.
      throw withGiveBackFailure(e, taken, g);
    });
    throw e;
  }
  // The claim holds: what follows never gives the subjects back (a failure fails the update, and
  // the rerun does it again). What the holders marked for this stream when it took its subjects
  // (now, or in an up killed before the copy) follows the subjects here; and each holder records
  // where it stopped capturing what it gave.
  await oneChangeAtATime(async () => {
    if (handover) await carryMarked(jsm, wire.name, handover, c);
    await recordReleases(jsm, wire.name, taken, c);
  });
  return claimed;
}

/** A claim's failure, with the give-back that failed after it: what may now be captured by no stream, and why. */
export function withGiveBackFailure(claim: unknown, taken: readonly Taken[], giveBackError: Error): Error {
  const what = taken.map((t) => `${t.subjects.join(", ")} to stream ${t.from}`).join("; ");
  const message = `${(claim as Error).message}; giving ${what} back failed too (${giveBackError.message}), so no stream may capture them now: run \`pulumi up\` again`;
  return new JetStreamOperationError(message, errCodeOf(claim));
}

async function add(jsm: JetStreamManager, wire: WireStreamConfig, c: ConnectionArgs, waitMs = 0, handover?: Handover, stack?: string): Promise<StreamInfo> {
  return claimSubjects("create", jsm, wire, c, waitMs, () => jsm.streams.add(structuredClone(wire)), handover, undefined, stack);
}

/**
 * Updates a stream to `wire`, keeping on the server what it no longer wants but another stream of
 * the program will claim (read afresh on every attempt: the claimant may take it meanwhile), and
 * taking what it claims from the program's other streams first. Returns the live stream with the
 * subjects it wants (those kept for a claimant are not this stream's any more).
 */
async function updateHandingOver(jsm: JetStreamManager, wire: WireStreamConfig, c: ConnectionArgs, waitMs: number, handover?: Handover, stack?: string): Promise<StreamInfo> {
  const wanted = wire.subjects ?? [];
  let kept: string[] = [];
  // What other streams' takes wrote onto this one and still stands (provider-keys.ts): kept on the server.
  let live: StreamInfo | undefined;
  const updated = await claimSubjects(
    "update",
    jsm,
    wire,
    c,
    waitMs,
    () => jsm.streams.update(wire.name, structuredClone(withWrittenByOthers({ ...wire, subjects: [...wanted, ...kept] }, live?.config))),
    handover,
    async () => {
      live = handover ? await info(jsm, wire.name, c) : undefined;
      kept = keptForClaim(wire.name, live?.config.subjects ?? [], wanted, handover);
    },
    stack,
  );
  return kept.length ? { ...updated, config: { ...updated.config, subjects: (updated.config.subjects ?? []).filter((s) => !kept.includes(s)) } } : updated;
}

async function update(jsm: JetStreamManager, wire: WireStreamConfig, c: ConnectionArgs, waitMs = 0): Promise<StreamInfo> {
  return claimSubjects("update", jsm, wire, c, waitMs, () => jsm.streams.update(wire.name, structuredClone(wire)));
}

export async function check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  declare(news.connection);
  const checked = await checkAdoption(label(String(news.name)), olds, news, checkInputs(streamInputsSchema, news).failures, async (known) => {
    const { config, connection } = splitInputs(parseInputs(streamInputsSchema, known, label(String(known.name))));
    const existing = await info(await manager(connection), config.name, connection);
    if (!existing) return undefined;
    return { ...existingFrom(diffStreamWire(existing.config as WireStreamConfig, streamToWire(config))), otherStack: otherStack(known.stack as string | undefined, existing.config) };
  });
  return { ...checked, inputs: withReplacementNote(olds, checked.inputs, planned, IDENTITY) };
}

/** The stream's name is its id; a new name is a new stream (the old one deleted first, as a renamed stream keeps its subjects). */
const IDENTITY = ["name"];

/** The configuration diff between two sets of inputs, when both are valid and known. */
function planned(olds: Record<string, unknown>, news: Record<string, unknown>) {
  const o = streamInputsSchema.safeParse(olds);
  const n = streamInputsSchema.safeParse(news);
  return o.success && n.success ? diffStream(splitInputs(o.data).config, splitInputs(n.data).config) : undefined;
}

export async function diff(_id: string, olds: StreamOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
  return planChange<StreamConfigArgs>({ what: label(String(news.name ?? olds.name)), identity: IDENTITY, deleteBeforeReplace: true, loses: LOSES, olds: storedInputs(olds), news, diff: diffStream, outdated: outdated(olds) !== undefined });
}

export async function create(raw: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult<StreamOutputs>> {
  const { config, safety, connection } = splitInputs(parseInputs(streamInputsSchema, raw, label(String(raw.name))));
  const name = config.name;
  if (config.sealed) throw new Error(`${label(name)}: a stream can not be created sealed; create it, then set sealed: true`);
  const owner = newOwner();
  const wire = withOwner(streamToWire(config), owner, safety.stack);
  const jsm = await connect(label(name), connection);
  // Identical to what was wanted, but stamped by another resource (or by none): stamped as ours,
  // keeping the claims it carries (an update replaces the metadata whole).
  const stamped = async (si: StreamInfo, claims: Claims) => (ownerOf(si.config) === owner ? si : update(jsm, withClaims(wire, claims), connection));
  // Create first: the server answers an identical existing stream with success, so the common
  // path is one round trip; only a stream that differs needs a look at what is there.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // New: everything it captures is captured since its creation (claims 0, not written).
      const added = await add(jsm, wire, connection, safety.handoverWaitMs ?? DEFAULT_HANDOVER_WAIT_MS, safety.handover, safety.stack);
      const claims = nextClaims(undefined, [], capturedBy(added.config), 0);
      return { id: name, outs: outputs(await stamped(added, claims), safety, connection, claims) };
    } catch (e) {
      if (errCodeOf(e) !== ERR.STREAM_NAME_IN_USE) throw e;
    }
    const existing = await info(jsm, name, connection);
    if (!existing) continue; // deleted meanwhile: create again
    const theirs = otherStack(safety.stack, existing.config);
    if (theirs && !safety.adoptExisting) throw ofAnotherStack(label(name), theirs, safety.stack!, true);
    const d = diffStreamWire(existing.config as WireStreamConfig, wire);
    // Taken over: what it captures counts as captured since its creation (so new durables read it
    // all), unless the stream says where it claimed it (one this program made, in an up cut short).
    const existingClaims = takenOverClaims(claimsOf(existing.config, existing.state.last_seq), capturedBy(existing.config));
    if (d.changes.length === 0) return { id: name, outs: outputs(await stamped(existing, existingClaims), safety, connection, existingClaims) };
    if (!safety.adoptExisting) {
      throw new Error(`${label(name)}: already exists with a different configuration (${describeChanges(d.changes)}). Set event-bus:adoptExisting to "true" to take it over and update it.`);
    }
    if (d.changes.some((c) => c.kind === "replace") || d.blocked.length) {
      throw new Error(`${label(name)}: can not adopt: ${describeChanges(d.changes.filter((c) => c.kind === "replace"))} ${d.blocked.join("; ")}`.trim());
    }
    const claims = nextClaims(existingClaims, capturedBy(existing.config), capturedBy(wire), existing.state.last_seq);
    // Taken over in the step where it claims subjects (a hot stream the seeds' script made before
    // its phase): the same hand-over as any update, taking them from the program's stream that holds them.
    const updated = await updateHandingOver(jsm, withClaims(wire, claims), connection, safety.handoverWaitMs ?? DEFAULT_HANDOVER_WAIT_MS, safety.handover, safety.stack);
    return { id: name, outs: outputs(updated, safety, connection, claimsFor(claims, capturedBy(updated.config))) };
  }
  throw new Error(`${label(name)}: created and deleted concurrently by someone else; try again`);
}

export async function read(id: string, props: StreamOutputs): Promise<pulumi.dynamic.ReadResult<StreamOutputs>> {
  const { safety, connection: stored } = splitInputs(props);
  const { jsm, connection } = await reach(label(id), stored);
  const live = await info(jsm, id, connection);
  if (!live) return {};
  // The claims the state and the stream agree on; one neither knows is recovered.
  return { id, props: outputs(live, safety, connection, await knownClaims(jsm, live, props, connection), props.owner, props.lastSeq) };
}

export async function updateStream(id: string, olds: StreamOutputs, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult<StreamOutputs>> {
  const { config, safety, connection } = splitInputs(parseInputs(streamInputsSchema, news, label(id)));
  const recreate = mustRecreate(label(id), LOSES, diffStream(splitInputs(storedInputs(olds)).config as StreamConfigArgs, config), safety.allowReplace);
  const jsm = await connect(label(id), connection);
  const deleted = () => new Error(`${label(id)}: was deleted outside Pulumi; run \`pulumi refresh\` and then \`pulumi up\` to create it again`);
  // Read first: whose it is, and the sequence reached before new subjects are claimed (where their durables start).
  const before = await info(jsm, id, connection);
  if (!before) throw deleted();
  if (!owns(olds.owner, before.config)) throw takenOver(label(id), olds.owner, before.config);
  // A stream stored before stamps (an earlier release) is stamped by its first update.
  const wire = withOwner(streamToWire(config), olds.owner ?? newOwner(), safety.stack);
  // The state plans a replace, but the live stream may have been recreated already (an `up` that
  // failed or was killed after the recreate): it is replaced only while it still differs so.
  if (recreate && diffStreamWire(before.config as WireStreamConfig, wire).changes.some((ch) => ch.kind === "replace")) {
    // Allowed by allowReplace: the stream and its messages go, a new one takes the name. The
    // server deletes its consumers with it; they are made again, as they were, on the new stream
    // (their Consumer resources, and the services bound by name, find them where they were). Their
    // list goes onto the new stream in its create, until each is back (recreated-durables.ts).
    const byName = new Map(durablesToRecreate(before.config).map((d) => [d.durable_name, d]));
    for await (const ci of jsm.consumers.list(id)) byName.set(ci.config.durable_name, recreatable(ci.config));
    const durables = [...byName.values()];
    await deleteOrGone(`${label(id)}: delete (replaced)`, connection, [ERR.STREAM_NOT_FOUND], () => jsm.streams.delete(id));
    const created = await add(jsm, withDurablesToRecreate(wire, durables), connection, safety.handoverWaitMs ?? DEFAULT_HANDOVER_WAIT_MS, safety.handover, safety.stack);
    await recreateDurables(jsm, id, durables, connection);
    const done = await update(jsm, wire, connection);
    return { outs: outputs(done, safety, connection, nextClaims(undefined, [], capturedBy(created.config), 0)) };
  }
  // Durables a recreate left to make again (it failed or was killed before all were back): kept
  // on the server through this update (which may be what lets them be made), made, then cleared.
  const pending = durablesToRecreate(before.config);
  // The server refuses what it can not change in place; diff has already stopped those it could foresee.
  try {
    // The claims go onto the server with the subjects they are for: a rerun after an up killed
    // right after this update finds them there (the state never saw it).
    const had = capturedBy(before.config);
    const previous = await knownClaims(jsm, before, olds, connection);
    const claims = nextClaims(previous, had, [...new Set([...had, ...capturedBy(wire)])], before.state.last_seq);
    const waitMs = safety.handoverWaitMs ?? DEFAULT_HANDOVER_WAIT_MS;
    let updated = await updateHandingOver(jsm, withDurablesToRecreate(withClaims(wire, claims), pending), connection, waitMs, safety.handover, safety.stack);
    if (pending.length) {
      await recreateDurables(jsm, id, pending, connection);
      updated = await updateHandingOver(jsm, withClaims(wire, claims), connection, waitMs, safety.handover, safety.stack);
    }
    return { outs: outputs(updated, safety, connection, claimsFor(claims, capturedBy(updated.config))) };
  } catch (e) {
    if (errCodeOf(e) === ERR.STREAM_NOT_FOUND) throw deleted();
    throw e;
  }
}

export async function deleteStream(id: string, props: StreamOutputs): Promise<void> {
  const { safety, connection: stored } = splitInputs(props);
  const { jsm, connection } = await reach(label(id), stored);
  const live = await info(jsm, id, connection);
  // Gone, or taken over by another resource (a replacement, a rename, another stack): not ours to delete.
  if (!live || !owns(props.owner, live.config)) return;
  const hold = forceDeleteOf(safety.forceDelete) ? undefined : await retirementHold(jsm, live, safety, connection);
  if (hold) throw new Error(`${hold.reason}; ${RETIREMENT_ADVICE[hold.kind]}`);
  await deleteOrGone(`${label(id)}: delete`, connection, [ERR.STREAM_NOT_FOUND], () => jsm.streams.delete(id));
}

/** What to do about each reason a delete is refused. */
const RETIREMENT_ADVICE: Record<RetirementHold["kind"], string> = {
  quiet: `it stays until then. Run \`pulumi up\` again later, or set event-bus:forceDelete (${SET_FORCE_DELETE}) to retire it now.`,
  undrained: "refusing to delete it. Let them finish and run `pulumi up` again.",
  holds: `refusing to delete it. Drain or move them first, or set event-bus:forceDelete (${SET_FORCE_DELETE}, which drops them) and run \`pulumi up\` again.`,
};

/** The provider object the engine drives. */
/** Every operation counted while it runs (in-flight.ts): a host whose engine is gone finishes them first. */
export const streamProvider: pulumi.dynamic.ResourceProvider = counted({
  configure: async (req) => configureFrom(req.config),
  check,
  diff,
  create,
  read,
  update: updateStream,
  delete: deleteStream,
});
