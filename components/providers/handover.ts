/**
 * Subjects handed from one stream to another in one deployment, with no moment where nothing
 * captures them. Each stream of the program knows where every subject goes once the deployment is
 * done (its `handover` input: every stream's wanted subjects), so:
 * - the releasing stream keeps, on the server, what another stream of the program will claim; it
 *   does not release it itself;
 * - the claiming stream takes what it needs from the stream that holds it, right before its own
 *   update, and gives it back if that update fails.
 * The gap is then the two API calls of the take, instead of everything between two resources'
 * updates (a failed claim, a Ctrl-C, a NATS restart, an engine that runs the claim first with
 * `--parallel 1`). Streams outside the program (no `handover`) keep the old way: the claim waits
 * for the release.
 */
import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";
import { ERR, errCodeOf, withRetry } from "../jetstream/client";
import { addCarries, CARRIED_FROM_HEADER, carriesFor, carriesOf, carryMsgId, withCarries, withoutCarries, type Carries } from "../jetstream/carry";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { claimsFor, claimsOf, releasedOf, withClaims, withReleased, type Claims } from "../jetstream/claims";
import { coveredBy, subjectsCollide } from "../jetstream/subjects";
import { readOrGone } from "./jetstream-resource";
import { ofAnotherStack, otherStack } from "../jetstream/ownership";

/** Every stream of the program and the subjects it captures once the deployment is done. */
export type Handover = Record<string, string[]>;

/** The end of the last change of subjects this process started (the engine's provider host runs every stream's). */
let lastChange: Promise<unknown> = Promise.resolve();

/**
 * Runs one change of subjects (a stream's read, its take from the holders, its own write) while
 * no other runs in this process: a take reads a holder and writes it back with fewer subjects,
 * and the holder's own update, which the engine runs at the same time, would otherwise be undone
 * by that write (or undo the take). Each attempt is short; a claim waiting for a release waits
 * between attempts, outside it.
 */
export function oneChangeAtATime<T>(change: () => Promise<T>): Promise<T> {
  const run = lastChange.then(change, change);
  lastChange = run.catch(() => undefined);
  return run;
}

/**
 * The live subjects a stream keeps although it no longer wants them: those another stream of the
 * program will claim (they stay captured until it takes them).
 */
export function keptForClaim(stream: string, live: readonly string[], wanted: readonly string[], handover: Handover | undefined): string[] {
  if (!handover) return [];
  const claimedElsewhere = (s: string) => Object.entries(handover).some(([other, subjects]) => other !== stream && subjects.some((t) => subjectsCollide(s, t)));
  return live.filter((s) => s !== stream && !wanted.includes(s) && claimedElsewhere(s));
}

/**
 * What `stream` may take from each other stream of the program to capture `wanted`: the holder's
 * live subjects that collide with what it claims and that the holder itself no longer wants.
 */
export function takeable(stream: string, wanted: readonly string[], holders: ReadonlyArray<{ name: string; subjects: readonly string[] }>, handover: Handover): Array<{ name: string; give: string[] }> {
  return holders
    .filter((h) => h.name !== stream && handover[h.name] !== undefined)
    .map((h) => ({ name: h.name, give: h.subjects.filter((s) => !(handover[h.name] ?? []).includes(s) && wanted.some((t) => subjectsCollide(s, t))) }))
    .filter((h) => h.give.length > 0);
}

/**
 * A holder's live configuration with `subjects` instead of its own, and the claims of only those:
 * a claim left behind for a subject given away would be taken, if the subject ever came back (the
 * seeds' rollback by hand), for where the holder claimed it this time.
 */
function withSubjects(si: StreamInfo, subjects: string[], claims: Claims, carries: Carries = carriesOf(si.config)) {
  return withCarries(withClaims({ ...si.config, subjects }, claimsFor(claims, subjects)), carries);
}
/** Subjects taken from a holder, with the claims they had there, to give back if the claim fails. */
export interface Taken {
  from: string;
  subjects: string[];
  claims: Claims;
  /** The holder's last sequence right after the take's write (it captures none of `subjects` from then on). */
  releasedAt?: number;
}

/**
 * Takes what `stream` claims from the other streams of the program that hold it and no longer
 * want it (read afresh: a releasing stream may have kept it again meanwhile). Returns what it took.
 * What a holder stored on a subject given back that none of its durables reads, but one of
 * `stream`'s does (a step back after a refused durable move), is marked on the holder in the same
 * write (carry.ts), for `carryMarked` to copy once `stream` captures the subject.
 */
export async function take(jsm: JetStreamManager, stream: string, wanted: readonly string[], handover: Handover, c: ConnectionArgs, stack?: string): Promise<Taken[]> {
  const holders: StreamInfo[] = [];
  for (const name of Object.keys(handover)) {
    if (name === stream) continue;
    const si = await readOrGone(`stream ${name}: read`, c, [ERR.STREAM_NOT_FOUND], () => jsm.streams.info(name));
    if (si) holders.push(si);
  }
  const plan = takeable(stream, wanted, holders.map((h) => ({ name: h.config.name, subjects: h.config.subjects ?? [] })), handover);
  // Before anything changes: a holder another stack stamped is that stack's to change, never this one's.
  for (const { name } of plan) {
    const theirs = otherStack(stack, holders.find((h) => h.config.name === name)!.config);
    if (theirs) throw ofAnotherStack(`stream ${stream}: taking ${wanted.join(", ")} from stream ${name}`, theirs, stack!, false);
  }
  // Before anything changes: a subject given up wider than what is claimed must leave nothing that
  // publishers use uncaptured (the step back from phase 1 gives `vendor.>` up for `vendor.oura.>`).
  for (const { name, give } of plan) {
    const stranded = await strandedSubjects(jsm, name, give, Object.values(handover).flat(), c);
    if (stranded.length) {
      throw new Error(
        `stream ${stream}: taking ${give.join(", ")} from stream ${name} for ${wanted.join(", ")} would leave ${stranded.join(", ")} captured by no stream, and publishers use ${stranded.length > 1 ? "them" : "it"}; ` +
          `move those publishers first (or purge what stream ${name} stored there, \`nats stream purge ${name} --subject <subject>\`, once nothing publishes there), then run \`pulumi up\` again`,
      );
    }
  }
  const taken: Taken[] = [];
  const claimantDurables = plan.length ? await durableFilters(jsm, stream, c) : [];
  for (const { name, give } of plan) {
    const si = holders.find((h) => h.config.name === name)!;
    const rest = (si.config.subjects ?? []).filter((s) => !give.includes(s));
    const claims = claimsOf(si.config, si.state.last_seq);
    const stored = new Set<string>();
    for (const s of give) {
      const after = claims[s];
      if (after === undefined || after >= si.state.last_seq) continue;
      if (await firstAfter(jsm, name, s, after, c)) stored.add(s);
    }
    const carry = carriesFor(give, claims, si.state.last_seq, stored.size ? await durableFilters(jsm, name, c) : [], claimantDurables, (s) => stored.has(s));
    const after = await withRetry(`stream ${stream}: take ${give.join(", ")} from stream ${name}`, c, () => jsm.streams.update(name, withSubjects(si, rest, claims, addCarries(carriesOf(si.config), stream, carry))));
    taken.push({ from: name, subjects: give, claims: claimsFor(claims, give), releasedAt: after.state.last_seq });
  }
  return taken;
}

/** The filter lists of every durable on a stream (none: it reads all), or none when the stream is gone. */
async function durableFilters(jsm: JetStreamManager, stream: string, c: ConnectionArgs): Promise<string[][]> {
  return withRetry(`stream ${stream}: list its durables`, c, async () => {
    const out: string[][] = [];
    try {
      for await (const ci of jsm.consumers.list(stream)) out.push(ci.config.filter_subjects ?? (ci.config.filter_subject ? [ci.config.filter_subject] : []));
    } catch (e) {
      if (errCodeOf(e) === ERR.STREAM_NOT_FOUND) return [];
      throw e;
    }
    return out;
  });
}

/** The first message a stream holds on `subject` after sequence `after`, if any. */
function firstAfter(jsm: JetStreamManager, stream: string, subject: string, after: number, c: ConnectionArgs) {
  // The server's message get takes next_by_subj (a wildcard too) from `seq` on; the client's type omits it.
  return withRetry(`stream ${stream}: find the next message on ${subject}`, c, () => jsm.streams.getMessage(stream, { next_by_subj: subject, seq: after + 1 } as unknown as { seq: number }));
}

/**
 * Copies to `claimant`, which now captures their subjects, the messages the program's other
 * streams marked for it (take), then clears the marks: each copy with the holder's headers, the
 * holder and sequence it came from, and a message id made of them (a rerun inside the claimant's
 * duplicate window stores none twice). Runs inside the claim's change (oneChangeAtATime).
 * Returns how many it copied.
 */
export async function carryMarked(jsm: JetStreamManager, claimant: string, handover: Handover, c: ConnectionArgs): Promise<number> {
  let copied = 0;
  const js = jsm.jetstream();
  for (const name of Object.keys(handover)) {
    if (name === claimant) continue;
    const si = await readOrGone(`stream ${name}: read`, c, [ERR.STREAM_NOT_FOUND], () => jsm.streams.info(name));
    const marks = si ? carriesOf(si.config)[claimant] : undefined;
    if (!si || !marks) continue;
    for (const [subject, { after, through }] of Object.entries(marks)) {
      let seq = after;
      for (;;) {
        const m = await firstAfter(jsm, name, subject, seq, c);
        if (!m || m.seq > through) break;
        const h = headers();
        for (const [k, values] of m.header ?? []) {
          if (k === "Nats-Msg-Id" || k.startsWith("Nats-Expected")) continue;
          for (const v of values) h.append(k, v);
        }
        h.set(CARRIED_FROM_HEADER, `${name}:${m.seq}`);
        await withRetry(`stream ${claimant}: copy message ${m.seq} of stream ${name} (${m.subject})`, c, () =>
          js.publish(m.subject, m.data, { msgID: carryMsgId(name, m.seq), expect: { streamName: claimant }, headers: h }),
        );
        copied++;
        seq = m.seq;
      }
    }
    await withRetry(`stream ${name}: clear what was copied to stream ${claimant}`, c, async () => {
      const now = await jsm.streams.info(name);
      return jsm.streams.update(name, withCarries(now.config, withoutCarries(carriesOf(now.config), claimant, Object.keys(marks))));
    });
  }
  return copied;
}

/**
 * The subjects a holder has stored messages on, under what it gives up, that no stream of the
 * program captures once the deployment is done (`captured`): taken as the sign that something
 * publishes there (with their counts).
 */
async function strandedSubjects(jsm: JetStreamManager, holder: string, give: readonly string[], captured: readonly string[], c: ConnectionArgs): Promise<string[]> {
  const wanted = captured;
  const wider = give.filter((g) => !coveredBy(g, wanted));
  const out: string[] = [];
  for (const g of wider) {
    const si = await withRetry(`stream ${holder}: list the subjects it stored under ${g}`, c, () => jsm.streams.info(holder, { subjects_filter: g }));
    for (const [subject, count] of Object.entries(si.state.subjects ?? {})) {
      if (!coveredBy(subject, wanted)) out.push(`${subject} (${count} stored in ${holder})`);
    }
  }
  return out;
}

/** Gives every subject taken back to the stream it came from (a claim that failed), with the claims it had there. */
export async function giveBack(jsm: JetStreamManager, stream: string, taken: readonly Taken[], c: ConnectionArgs): Promise<void> {
  const byHolder = new Map<string, { subjects: Set<string>; claims: Claims }>();
  for (const t of taken) {
    const h = byHolder.get(t.from) ?? { subjects: new Set<string>(), claims: {} };
    for (const s of t.subjects) h.subjects.add(s);
    Object.assign(h.claims, t.claims);
    byHolder.set(t.from, h);
  }
  for (const [name, give] of byHolder) {
    await withRetry(`stream ${stream}: give ${[...give.subjects].join(", ")} back to stream ${name}`, c, () => oneChangeAtATime(async () => {
      const now = await jsm.streams.info(name);
      const subjects = [...new Set([...(now.config.subjects ?? []).filter((s) => s !== name), ...give.subjects])];
      // What the take marked to copy to this stream stays with the holder, which captures it again.
      const carries = withoutCarries(carriesOf(now.config), stream, [...give.subjects]);
      return jsm.streams.update(name, withSubjects(now, subjects, { ...claimsOf(now.config, now.state.last_seq), ...give.claims }, carries));
    }));
  }
}

/**
 * Records on each holder taken from where it stopped capturing what it gave (claims.ts,
 * RELEASED_KEY), once the claim has succeeded. Runs inside the claim's change (oneChangeAtATime).
 */
export async function recordReleases(jsm: JetStreamManager, claimant: string, taken: readonly Taken[], c: ConnectionArgs): Promise<void> {
  for (const t of taken) {
    if (t.releasedAt === undefined) continue;
    await withRetry(`stream ${claimant}: record where stream ${t.from} released ${t.subjects.join(", ")}`, c, async () => {
      const now = await jsm.streams.info(t.from);
      const released = { ...releasedOf(now.config), ...Object.fromEntries(t.subjects.map((s) => [s, t.releasedAt!])) };
      return jsm.streams.update(t.from, withReleased(now.config, released));
    });
  }
}
