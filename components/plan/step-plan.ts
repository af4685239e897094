/**
 * The plan of one step in the bus's own terms, computed before anyone approves it: which subjects
 * move and what publishers see meanwhile, which durables move (where the new one starts, what is
 * still to drain on the old one, how long that takes at the live rate), which Deployments roll and
 * where their pods bind afterwards, what is retired or kept, why anything would be replaced, and
 * the way back. From the program's topology (`target`), the last completed up's record
 * (`previous`, the stack output stepBasis) and the live bus (the preview's read-only look). What it
 * could not judge it says, with why. Pure: plan-text.ts prints it.
 */
import { claimsOf } from "../jetstream/claims";
import { subjectsCollide } from "../jetstream/subjects";
import { diffStreamWire } from "../jetstream/update-rules";
import type { WireStreamConfig } from "../jetstream/wire";
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
  /** Where the new durable starts: after this stream sequence ("claimed": where its stream claimed the subject; "now": the stream's last, which the claim in this step takes). */
  startsAfter?: { seq: number; at: "claimed" | "now" };
  /** What the old durable still has to deliver now, and the estimate. */
  onOld?: Pick<LiveDurable, "pending" | "ackPending" | "redelivered" | "ackFloor" | "ackRate">;
  drainSeconds?: number;
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
  subjects: SubjectMove[];
  durables: DurableMove[];
  rolls: Roll[];
  /** Where the services' pods bind afterwards. */
  binds: { durables: Record<string, string>; ingestExpects: string };
  /** stays, kept (a phase that retires it, held), created (made again, empty: a step back from phase 3), deleted (now), gone (already). */
  legacy: { name: string; fate: "stays" | "kept" | "created" | "deleted" | "gone"; messages?: number; why?: string };
  replaces: Array<{ stream: string; field: string; reason: string }>;
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

function durableMoves(p: PlanInput, before: Record<string, string>): DurableMove[] {
  const live = isLive(p.live) ? p.live : undefined;
  const out: DurableMove[] = [];
  for (const [durable, to] of Object.entries(p.target.durables)) {
    const from = before[durable];
    if (from === to) continue;
    const move: DurableMove = { durable, ...(from ? { from } : {}), to };
    const home = live?.streams[to];
    if (home) {
      const claimed = claimsOf(home.config, home.lastSeq)[p.claimSubjects[durable]];
      move.startsAfter = claimed !== undefined && own(to, home.subjects).includes(p.claimSubjects[durable]) ? { seq: claimed, at: "claimed" } : { seq: home.lastSeq, at: "now" };
    }
    const old = live?.durables.find((d) => d.name === durable && d.stream === from);
    if (old) {
      move.onOld = { pending: old.pending, ackPending: old.ackPending, redelivered: old.redelivered, ackFloor: old.ackFloor, ...(old.ackRate !== undefined ? { ackRate: old.ackRate } : {}) };
      const left = old.pending + old.ackPending;
      if (left === 0) move.drainSeconds = 0;
      else if (old.ackRate) move.drainSeconds = left / old.ackRate;
    }
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

/** The step's plan. */
export function planStep(p: PlanInput): StepPlan {
  const { target, previous } = p;
  const live = isLive(p.live) ? p.live : undefined;
  const notJudged: string[] = [];
  const busWhy = live ? "live" : previous ? `not looked at (${(p.live as { notJudged: string }).notJudged}): as the last up left it` : `not looked at (${(p.live as { notJudged: string }).notJudged})`;
  if (!live) notJudged.push(`the bus was not looked at (${(p.live as { notJudged: string }).notJudged}): ${previous ? "subjects and durables are as the last up left them, " : ""}no counts, no drain estimate, no replace judged`);
  // Before: the live bus when looked at, else the last up's record.
  const subjectsBefore = live ? Object.fromEntries(Object.values(live.streams).map((s) => [s.name, s.subjects])) : previous?.subjects;
  // The program's durables only (a stream may have others, made by hand).
  const ours = (name: string) => name in target.durables || name in (previous?.durables ?? {});
  const durablesBefore = live ? Object.fromEntries(live.durables.filter((d) => ours(d.name)).map((d) => [d.name, d.stream])) : previous?.durables;
  const subjects = subjectsBefore ? subjectMoves(subjectsBefore, Object.fromEntries(Object.entries(target.subjects).map(([k, v]) => [k, v.length ? v : [k]]))) : [];
  const durables = durablesBefore ? durableMoves(p, durablesBefore) : [];
  for (const d of durables) {
    if (d.from && d.to && live && !d.onOld) notJudged.push(`durable ${d.durable}: not found on ${d.from} in the look, nothing to drain judged`);
    if (d.onOld && d.drainSeconds === undefined) notJudged.push(`durable ${d.durable}: ${d.onOld.pending + d.onOld.ackPending} still to deliver on ${d.from} and no acknowledgement in the look's sample: no drain estimate (are its readers stopped?)`);
  }
  // The services: compared with the last up's pod templates.
  const services = previous ? "last up" : "no earlier up recorded its services (the stack's first up with this release): which Deployments roll is not judged";
  if (!previous && Object.keys(target.deployments).length) notJudged.push(services);
  const rolls: Roll[] = previous ? Object.entries(target.deployments).map(([name, now]) => rollOf(name, now, previous.deployments[name])) : [];
  if (previous) for (const name of Object.keys(previous.deployments)) if (!(name in target.deployments)) rolls.push({ deployment: name, what: "deleted" });
  // The legacy stream.
  const L = p.names.legacy;
  const liveL = live?.streams[L];
  const retired = `retired from phase ${p.legacy.retirePhase}, after ${p.legacy.quietPeriod} without a message and with nothing undelivered`;
  const legacy: StepPlan["legacy"] =
    L in target.subjects
      ? live && !liveL
        ? { name: L, fate: "created", why: retired }
        : { name: L, fate: p.legacy.hold ? "kept" : "stays", ...(liveL ? { messages: liveL.messages } : {}), why: p.legacy.hold ?? retired }
      : live && !liveL
        ? { name: L, fate: "gone" }
        : { name: L, fate: "deleted", ...(liveL ? { messages: liveL.messages } : {}), ...(p.legacy.forced ? { why: `event-bus:forceDelete, although ${p.legacy.forced}` } : {}) };
  if (!liveL && legacy.fate !== "gone" && legacy.fate !== "created") notJudged.push(`${L}: how much it holds is not known`);
  // What the server would refuse to change in place.
  const replaces = live
    ? Object.entries(p.wires).flatMap(([name, wire]) => {
        const l = live.streams[name];
        return l ? diffStreamWire(l.config, wire).changes.filter((c) => c.kind === "replace").map((c) => ({ stream: name, field: c.field, reason: c.reason! })) : [];
      })
    : [];
  const newTopologyBefore = previous?.newTopology;
  return {
    from: { ...(previous ? { phase: previous.phase, mode: previous.mode, ...(previous.canaryPercent !== undefined ? { canaryPercent: previous.canaryPercent } : {}) } : {}), ...(newTopologyBefore !== undefined ? { newTopology: newTopologyBefore } : {}) },
    to: { phase: target.phase, mode: target.mode, newTopology: target.newTopology, ...(target.canaryPercent !== undefined ? { canaryPercent: target.canaryPercent } : {}) },
    judged: { bus: busWhy, services },
    subjects,
    durables,
    rolls,
    binds: { durables: target.durables, ingestExpects: target.newTopology ? p.names.core : L },
    legacy,
    replaces,
    notJudged,
  };
}
