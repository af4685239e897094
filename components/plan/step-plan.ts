/**
 * The plan of one step in the bus's own terms, computed before anyone approves it: which subjects
 * move and what publishers see meanwhile, which durables move (where the new one starts, what is
 * still to drain on the old one, how long that takes at the live rate, and whether the move waits
 * for it), which Deployments roll and where their pods bind afterwards, what is retired or kept,
 * what a replace would need, and the way back. From the program's topology (`target`), the last
 * completed up's record (`previous`, the stack output stepBasis) and the live bus (read with the
 * preview's read-only identity). What it could not judge it says, with why. Pure: plan-text.ts
 * prints it.
 */
import { claimsOf } from "../jetstream/claims";
import { subjectsCollide } from "../jetstream/subjects";
import { diffStreamWire } from "../jetstream/update-rules";
import type { WireStreamConfig } from "../jetstream/wire";
import { DEFAULT_DRAIN_STALL_MS, DEFAULT_DRAIN_TIMEOUT_MS, drainDeadlineMs } from "../providers/consumer-provider";
import type { LiveBus, LiveDurable } from "./live-bus";
import type { DeploymentBasis, StepBasis } from "./step-basis";

export interface PlanInput {
  target: StepBasis;
  /** The last completed up's basis; absent on a stack's first up (or one made before the record existed). */
  previous?: StepBasis;
  /** The live bus, or why it was not looked at. */
  live: LiveBus | { notJudged: string };
  /** The catalogue's stream names by role. */
  names: { legacy: string; core: string };
  /** The stream subject each durable's new home claims (where it starts after). */
  claimSubjects: Record<string, string>;
  /** The streams' wire configuration as the program wants it (for what a replace would need). */
  wires: Record<string, WireStreamConfig>;
  legacy: { quietPeriod: string; retirePhase: number; hold?: string; forced?: string };
  /** The stack's opt-ins that change what a step does (event-bus:forceDelete, allowReplace). */
  safety?: { forceDelete?: boolean; allowReplace?: boolean };
}

export interface SubjectMove {
  subject: string;
  /** The stream that captures it now; absent: none does. */
  from?: string;
  /** The stream that captures it afterwards; absent: none will. */
  to?: string;
  /** What the new stream captures it as, when wider (vendor.oura.> as vendor.>). */
  as?: string;
}

export interface DurableMove {
  durable: string;
  from?: string;
  to?: string;
  /** The last up left it, and the bus has it nowhere (deleted outside Pulumi): the up fails. */
  missing?: true;
  /** Where the new durable starts: after this stream sequence ("claimed": where its stream claimed the subject; "now": the stream's last, which the claim in this step takes). */
  startsAfter?: { seq: number; at: "claimed" | "now" };
  /** What the old durable still has to deliver now. */
  onOld?: Pick<LiveDurable, "pending" | "ackPending" | "redelivered" | "ackFloor" | "ackRate" | "filters">;
  drainSeconds?: number;
  /** How the move treats what is left: waits (up to `waitsUpToMs`, while its readers make progress), or drops it (forceDelete). */
  drain?: { waitsUpToMs: number } | { drops: true };
}

export interface Roll {
  deployment: string;
  what: "rolls" | "created" | "deleted" | "stays" | "rolls if its password changed";
  replicas?: number;
  /** The pod count before, when the step changes it. */
  replicasBefore?: number;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
}

export interface StepPlan {
  from: { phase?: number; mode?: string; newTopology?: 0 | 1; canaryPercent?: number };
  to: { phase: number; mode: string; newTopology: 0 | 1; canaryPercent?: number };
  /** Where the "before" facts come from. */
  judged: { bus: "live" | string; services: "last up" | string };
  /** Absent: not judged (neither the bus nor a record of the last up). */
  subjects?: SubjectMove[];
  durables?: DurableMove[];
  rolls: Roll[];
  /** Where the services' pods bind afterwards. */
  binds: { durables: Record<string, string>; ingestExpects: string };
  /** stays, kept (a phase that retires it, held), created (made again, empty: a step back from phase 3), missing (deleted outside Pulumi), deleted (now), gone (already). */
  legacy: { name: string; fate: "stays" | "kept" | "created" | "missing" | "deleted" | "gone"; messages?: number; why?: string };
  /** What the server refuses to change in place: refused unless allowReplace, which deletes the stream with its messages and makes it again. */
  replaces: Array<{ stream: string; field: string; reason: string; messages: number; allowed: boolean }>;
  /** Things the plan could not judge, each with why. */
  notJudged: string[];
}

const own = (stream: string, subjects: readonly string[]) => subjects.filter((s) => s !== stream);
const isLive = (l: PlanInput["live"]): l is LiveBus => !("notJudged" in l);

/** The subjects that change streams, from what each stream captures before to what it captures after. */
export function subjectMoves(before: Record<string, string[]>, after: Record<string, string[]>): SubjectMove[] {
  const moves: SubjectMove[] = [];
  const covered = new Set<string>();
  for (const [to, wanted] of Object.entries(after)) {
    for (const s of own(to, wanted)) {
      if (own(to, before[to] ?? []).includes(s)) continue;
      const holders = Object.entries(before).flatMap(([from, subjects]) => (from === to ? [] : own(from, subjects).filter((h) => subjectsCollide(h, s) && !own(from, after[from] ?? []).includes(h)).map((h) => ({ from, h }))));
      if (!holders.length) moves.push({ subject: s, to });
      for (const { from, h } of holders) {
        covered.add(`${from}\u0000${h}`);
        moves.push({ subject: h, from, to, ...(h !== s ? { as: s } : {}) });
      }
    }
  }
  for (const [from, had] of Object.entries(before)) {
    for (const h of own(from, had)) {
      if (!own(from, after[from] ?? []).includes(h) && !covered.has(`${from}\u0000${h}`) && after[from] !== undefined) moves.push({ subject: h, from });
    }
  }
  return moves;
}

/** Where each of the program's durables is before the step, and the notes on what is odd there. */
function durablesBefore(p: PlanInput, live: LiveBus | undefined, notJudged: string[]): Record<string, string> | undefined {
  if (!live) return p.previous?.durables;
  const ours = new Set([...Object.keys(p.target.durables), ...Object.keys(p.previous?.durables ?? {})]);
  const where: Record<string, string> = {};
  for (const name of ours) {
    const found = live.durables.filter((d) => d.name === name).map((d) => d.stream);
    if (found.length > 1) notJudged.push(`durable ${name} is on ${found.join(" and ")} at once (a move cut short?): the up finishes the move, draining the copy on the stream it leaves`);
    // Of two, the one it leaves is what the step moves.
    const pick = found.find((s) => s !== p.target.durables[name]) ?? found[0];
    if (pick) where[name] = pick;
  }
  return where;
}

function durableMoves(p: PlanInput, before: Record<string, string>, notJudged: string[]): DurableMove[] {
  const live = isLive(p.live) ? p.live : undefined;
  const out: DurableMove[] = [];
  for (const [durable, to] of Object.entries(p.target.durables)) {
    const from = before[durable];
    if (from === to) continue;
    if (!from && live && p.previous?.durables[durable]) {
      out.push({ durable, to, missing: true });
      notJudged.push(`durable ${durable}: the last up left it on ${p.previous.durables[durable]}, and the bus has it nowhere (deleted outside Pulumi?): the up fails on it; run \`pulumi refresh\`, then \`pulumi up\``);
      continue;
    }
    const move: DurableMove = { durable, ...(from ? { from } : {}), to };
    const home = live?.streams[to];
    const subject = p.claimSubjects[durable];
    if (home) {
      const claimed = claimsOf(home.config, home.lastSeq)[subject];
      if (!own(to, home.subjects).includes(subject)) move.startsAfter = { seq: home.lastSeq, at: "now" };
      else if (claimed !== undefined) move.startsAfter = { seq: claimed, at: "claimed" };
      else notJudged.push(`durable ${durable}: ${to} already captures ${subject}; where it claimed it is in the stack's state, not on the server, so where the durable starts is not judged`);
    }
    const old = live?.durables.find((d) => d.name === durable && d.stream === from);
    if (old) {
      move.onOld = { pending: old.pending, ackPending: old.ackPending, redelivered: old.redelivered, ackFloor: old.ackFloor, filters: old.filters, ...(old.ackRate !== undefined ? { ackRate: old.ackRate } : {}) };
      const left = old.pending + old.ackPending;
      if (left === 0) move.drainSeconds = 0;
      else if (old.ackRate) move.drainSeconds = left / old.ackRate;
      const config = { max_deliver: old.maxDeliver, ack_wait: old.ackWaitNs };
      move.drain = p.safety?.forceDelete ? { drops: true } : { waitsUpToMs: drainDeadlineMs({ num_ack_pending: old.ackPending, config }, { stallMs: DEFAULT_DRAIN_STALL_MS, timeoutMs: DEFAULT_DRAIN_TIMEOUT_MS }) };
      if (left > 0 && move.drainSeconds === undefined) notJudged.push(`durable ${durable}: ${left} still to deliver on ${from} and no acknowledgement in the look's sample: no drain estimate (are its readers stopped?)`);
    } else if (from && live) notJudged.push(`durable ${durable}: not found on ${from} in the look, nothing to drain judged`);
    out.push(move);
  }
  for (const [durable, from] of Object.entries(before)) if (!(durable in p.target.durables)) out.push({ durable, from });
  return out;
}

function rollOf(name: string, now: DeploymentBasis, was: DeploymentBasis | undefined): Roll {
  const how = { replicas: now.replicas, ...(was && was.replicas !== now.replicas ? { replicasBefore: was.replicas } : {}), maxSurge: now.maxSurge, maxUnavailable: now.maxUnavailable };
  if (!was) return { deployment: name, what: "created", ...how };
  if (now.template === undefined) return { deployment: name, what: "rolls if its password changed", ...how };
  return { deployment: name, what: was.template === now.template ? "stays" : "rolls", ...how };
}

function legacyFate(p: PlanInput, live: LiveBus | undefined, notJudged: string[]): StepPlan["legacy"] {
  const L = p.names.legacy;
  const liveL = live?.streams[L];
  const held = { ...(liveL ? { messages: liveL.messages } : {}) };
  const retired = `retired from phase ${p.legacy.retirePhase}, after ${p.legacy.quietPeriod} without a message and with nothing undelivered`;
  // Whether it existed after the last up (or, with no record, whether the bus has it).
  const hadIt = p.previous ? L in p.previous.subjects : undefined;
  if (L in p.target.subjects) {
    if (live && !liveL) {
      if (hadIt) {
        notJudged.push(`${L}: the last up left it, and the bus does not have it (deleted outside Pulumi?): the up fails on it; run \`pulumi refresh\`, then \`pulumi up\``);
        return { name: L, fate: "missing" };
      }
      return { name: L, fate: "created", why: retired };
    }
    if (!liveL) notJudged.push(`${L}: how much it holds is not known`);
    return { name: L, fate: p.legacy.hold ? "kept" : "stays", ...held, why: p.legacy.hold ?? retired };
  }
  if ((live && !liveL) || (!live && hadIt === false)) return { name: L, fate: "gone" };
  if (!live) notJudged.push(`${L}: whether it may be retired yet (its quiet period, what is undelivered) is not judged; the provider refuses the delete while it is held`);
  return { name: L, fate: "deleted", ...held, ...(p.legacy.forced ? { why: `event-bus:forceDelete, although ${p.legacy.forced}` } : {}) };
}

/** The step's plan. */
export function planStep(p: PlanInput): StepPlan {
  const { target, previous } = p;
  const live = isLive(p.live) ? p.live : undefined;
  const notJudged: string[] = [];
  const why = (p.live as { notJudged?: string }).notJudged;
  const busWhy = live ? "live" : previous ? `not looked at (${why}): as the last up left it` : `not looked at (${why})`;
  if (!live) notJudged.push(`the bus was not looked at (${why}): ${previous ? "subjects and durables are as the last up left them, " : "which subjects and durables move is not judged, "}no counts, no drain estimate, no replace judged`);
  // Before: the live bus when looked at, else the last up's record.
  const subjectsBefore = live ? Object.fromEntries(Object.values(live.streams).map((s) => [s.name, s.subjects])) : previous?.subjects;
  const subjects = subjectsBefore ? subjectMoves(subjectsBefore, Object.fromEntries(Object.entries(target.subjects).map(([k, v]) => [k, v.length ? v : [k]]))) : undefined;
  const before = durablesBefore(p, live, notJudged);
  const durables = before ? durableMoves(p, before, notJudged) : undefined;
  // The services: compared with the last up's pod templates.
  const services = previous ? "last up" : "no earlier up recorded its services (the stack's first up with this release): which Deployments roll is not judged";
  if (!previous && Object.keys(target.deployments).length) notJudged.push(services);
  const rolls: Roll[] = previous ? Object.entries(target.deployments).map(([name, now]) => rollOf(name, now, previous.deployments[name])) : [];
  if (previous) for (const name of Object.keys(previous.deployments)) if (!(name in target.deployments)) rolls.push({ deployment: name, what: "deleted" });
  const legacy = legacyFate(p, live, notJudged);
  // What the server would refuse to change in place.
  const replaces = live
    ? Object.entries(p.wires).flatMap(([name, wire]) => {
        const l = live.streams[name];
        return l ? diffStreamWire(l.config, wire).changes.filter((c) => c.kind === "replace").map((c) => ({ stream: name, field: c.field, reason: c.reason!, messages: l.messages, allowed: p.safety?.allowReplace === true })) : [];
      })
    : [];
  return {
    from: { ...(previous ? { phase: previous.phase, mode: previous.mode, newTopology: previous.newTopology, ...(previous.canaryPercent !== undefined ? { canaryPercent: previous.canaryPercent } : {}) } : {}) },
    to: { phase: target.phase, mode: target.mode, newTopology: target.newTopology, ...(target.canaryPercent !== undefined ? { canaryPercent: target.canaryPercent } : {}) },
    judged: { bus: busWhy, services },
    ...(subjects ? { subjects } : {}),
    ...(durables ? { durables } : {}),
    rolls,
    binds: { durables: target.durables, ingestExpects: target.newTopology ? p.names.core : p.names.legacy },
    legacy,
    replaces,
    notJudged,
  };
}
