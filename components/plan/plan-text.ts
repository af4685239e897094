/**
 * A step plan as the preview prints it (and the pull-request comment and the production approval
 * summary lead with): short lines in the bus's terms, each section saying what it could not judge.
 * Pure.
 */
import type { DurableMove, Roll, StepPlan } from "./step-plan";

/** The first line of every plan: how the workflows find it in a preview's output. */
export const PLAN_HEADING = "Step plan";

/** What publishers on a moving subject see (measured by bench/handover.bench.ts). */
const HAND_OVER_WINDOW = "between the hand-over's two stream updates (4 ms median on 3 servers, bench/handover; longer if an update is retried)";

const arrow = (a: unknown, b: unknown) => (a === undefined || a === b ? `${b}` : `${a} -> ${b}`);
const perSecond = (r: number) => (r >= 10 ? r.toFixed(0) : r.toFixed(1));
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function seconds(s: number): string {
  if (s < 1) return "under 1 s";
  if (s < 120) return `about ${Math.ceil(s)} s`;
  return `about ${Math.ceil(s / 60)} min`;
}

function pace(r: Roll): string {
  const surge = r.maxSurge === "100%" ? "all new pods at once" : `${r.maxSurge} new pod${r.maxSurge === 1 ? "" : "s"} at a time`;
  const down = r.maxUnavailable === 0 ? "no old pod stops before a new one is Ready" : `up to ${r.maxUnavailable} down at a time`;
  const count = r.replicasBefore !== undefined ? `${r.replicasBefore} -> ${r.replicas}` : `${r.replicas}`;
  return `${count} pod${r.replicas === 1 ? "" : "s"}, ${surge}, ${down}`;
}

/** What each Deployment waits for before it rolls (components/kubernetes/event-bus-services.ts). */
const after = (deployment: string) => (deployment.startsWith("ingest-service") ? "after the streams take their subjects" : "after the durables move and the flags ConfigMap");

/** What is left on the durable's old stream, and what the move does with it. */
function drainText(d: DurableMove): string {
  const o = d.onOld!;
  const left = o.pending + o.ackPending;
  let text = `; on ${d.from} now: ${o.pending} pending, ${o.ackPending} awaiting an ack, ${o.redelivered} being redelivered`;
  if (o.redelivered > 0) text += ` (the oldest not acknowledged: the first on ${o.filters.join(", ") || "its subjects"} after ${d.from} sequence ${o.ackFloor}, its ack floor)`;
  if (left === 0) return `${text}; nothing to drain`;
  text += d.drainSeconds !== undefined ? `; drains in ${seconds(d.drainSeconds)} at ${perSecond(o.ackRate!)}/s` : "; drain time not estimated";
  if (d.drain && "drops" in d.drain) return `${text}; event-bus:forceDelete is set: the move does not wait, and drops ${plural(left, "message")}`;
  const limit = d.drain?.waitsUpToMs;
  if (limit !== undefined && d.drainSeconds !== undefined && d.drainSeconds * 1000 > limit) {
    return `${text}; longer than the move waits (${seconds(limit / 1000)}): the up stops there, refusing the move (the subjects have moved); run it again once drained, or set event-bus:forceDelete to drop them`;
  }
  return `${text}; the move waits for it${limit !== undefined ? ` (up to ${seconds(limit / 1000)}, while its readers make progress)` : ""}; event-bus:forceDelete would not wait, and drop ${plural(left, "message")}`;
}

export function planText(p: StepPlan): string[] {
  const lines: string[] = [];
  const modes = p.from.mode !== undefined && p.from.mode !== p.to.mode ? `, mode ${arrow(p.from.mode, p.to.mode)}` : `, mode ${p.to.mode}`;
  const pct = (n: number | undefined) => (n === undefined ? undefined : `${n}%`);
  const canary = p.to.canaryPercent || p.from.canaryPercent ? `, canary ${arrow(pct(p.from.canaryPercent), pct(p.to.canaryPercent ?? 0))}` : "";
  lines.push(`${PLAN_HEADING}: phase ${arrow(p.from.phase, p.to.phase)}${modes}${canary} (the bus: ${p.judged.bus}; the services: ${p.judged.services === "last up" ? "compared with the last up" : "not judged"})`);

  if (!p.subjects) lines.push("Subjects that move: not judged");
  else lines.push(p.subjects.length ? "Subjects that move:" : "Subjects that move: none");
  for (const m of p.subjects ?? []) lines.push(`  subject ${m.subject}: ${m.from ?? "(no stream)"} -> ${m.to ?? "(no stream: publishes there are refused)"}${m.as ? ` (as ${m.as})` : ""}`);
  if (p.subjects?.some((m) => m.from && m.to)) lines.push(`  publishers: a publish on a moving subject ${HAND_OVER_WINDOW} finds no stream and is refused (no responders); the caller sends it again`);
  const expects = (f: 0 | 1 | undefined) => (f === undefined ? "?" : String(f));
  lines.push(
    p.from.newTopology === undefined || p.from.newTopology === p.to.newTopology
      ? `  ingest-service's NEW_TOPOLOGY_PERCENTAGE: ${p.to.newTopology}${p.from.newTopology === undefined ? " (before: not recorded)" : " (unchanged)"}; core events expected on ${p.binds.ingestExpects}`
      : `  ingest-service's NEW_TOPOLOGY_PERCENTAGE: ${expects(p.from.newTopology)} -> ${p.to.newTopology}; core events expected on ${p.binds.ingestExpects}; from the hand-over until ingest's roll ends, an old pod's publish expecting the other stream is refused, and the caller sends it again`,
  );

  if (!p.durables) lines.push("Durables that move: not judged");
  else lines.push(p.durables.length ? "Durables that move:" : "Durables that move: none");
  for (const d of p.durables ?? []) {
    if (!d.to) lines.push(`  durable ${d.durable}: deleted from ${d.from}`);
    else if (d.missing) lines.push(`  durable ${d.durable}: missing from the bus (deleted outside Pulumi?): the up fails on it`);
    else {
      const start = d.startsAfter ? `, starts after ${d.to} sequence ${d.startsAfter.seq}${d.startsAfter.at === "now" ? " (its last now: the claim in this step takes it then)" : " (where it claimed the subject)"}` : "";
      lines.push(`  durable ${d.durable}: ${d.from ?? "(new)"} -> ${d.to}${start}${d.onOld ? drainText(d) : ""}`);
    }
  }

  lines.push("Services:");
  if (!p.rolls.length) lines.push(`  ${p.judged.services === "last up" ? "no Deployments on this stack" : "which Deployments roll: not judged"}`);
  for (const r of p.rolls) {
    const scaled = r.replicasBefore !== undefined ? `, scaled ${r.replicasBefore} -> ${r.replicas} pods` : "";
    if (r.what === "stays" || r.what === "deleted") lines.push(`  ${r.deployment} ${r.what}${scaled}`);
    else lines.push(`  ${r.deployment} ${r.what}: ${pace(r)}, ${after(r.deployment)}`);
  }
  const binds = Object.entries(p.binds.durables).map(([d, s]) => `${d} on ${s}`);
  lines.push(`  afterwards: normalize-service binds ${binds.join(", ") || "no durable"} (once, at its start); ingest-service publishes core events expecting ${p.binds.ingestExpects}`);

  lines.push(legacyText(p.legacy));

  lines.push(p.replaces.length ? "Replaced:" : "Replaced: nothing");
  for (const r of p.replaces) {
    const outcome = r.allowed
      ? `event-bus:allowReplace is set: the stream is deleted with its ${plural(r.messages, "message")} and made again`
      : `the up refuses it unless event-bus:allowReplace is set, which deletes the stream with its ${plural(r.messages, "message")} and makes it again`;
    lines.push(`  stream ${r.stream}: ${r.field} (${r.reason}): ${outcome}`);
  }

  lines.push(wayBack(p));
  if (p.notJudged.length) {
    lines.push("Not judged:");
    for (const n of p.notJudged) lines.push(`  ${n}`);
  }
  return lines;
}

function legacyText(l: StepPlan["legacy"]): string {
  const holds = l.messages === undefined ? "" : ` (holds ${plural(l.messages, "message")})`;
  switch (l.fate) {
    case "gone":
      return `Legacy stream ${l.name}: already retired`;
    case "created":
      return `Legacy stream ${l.name}: made again, empty, capturing nothing of ours; ${l.why}`;
    case "missing":
      return `Legacy stream ${l.name}: missing from the bus (deleted outside Pulumi?): the up fails on it`;
    case "deleted":
      return `Legacy stream ${l.name}: deleted now${holds}${l.why ? `, by ${l.why}` : ""}`;
    case "kept":
      return `Legacy stream ${l.name}: kept${holds}: ${l.why}; event-bus:forceDelete would delete it now${l.messages !== undefined ? `, with its ${plural(l.messages, "message")}` : ""}`;
    default:
      return `Legacy stream ${l.name}: stays${holds}: ${l.why}`;
  }
}

/** The change that reverts this step, and what it would do. */
function wayBack(p: StepPlan): string {
  const back: string[] = [];
  if (p.from.phase !== undefined && p.from.phase !== p.to.phase) back.push(`event-bus:migrationPhase to ${p.from.phase}`);
  if (p.from.mode !== undefined && p.from.mode !== p.to.mode) back.push(`event-bus:mode to ${p.from.mode}`);
  if (p.from.phase !== undefined && (p.from.canaryPercent ?? 0) !== (p.to.canaryPercent ?? 0)) back.push(`event-bus:kubernetes.canaryPercent to ${p.from.canaryPercent ?? 0}`);
  if (!back.length) return p.from.phase === undefined ? "Way back: not judged (no earlier up recorded where the stack was)" : "Way back: nothing to undo in the phase, mode or canary";
  const does = [
    ...(p.subjects ?? []).filter((m) => m.from && m.to).map((m) => `${m.subject} back to ${m.from}`),
    ...(p.durables ?? []).filter((d) => d.from && d.to).map((d) => `${d.durable} back to ${d.from}`),
    ...p.rolls.filter((r) => r.what === "rolls").map((r) => `${r.deployment} rolls again`),
    ...p.rolls.filter((r) => r.replicasBefore !== undefined).map((r) => `${r.deployment} back to ${plural(r.replicasBefore!, "pod")}`),
    ...p.rolls.filter((r) => r.what === "created").map((r) => `${r.deployment} deleted`),
    ...p.rolls.filter((r) => r.what === "deleted").map((r) => `${r.deployment} made again`),
    ...(p.legacy.fate === "deleted" ? [`${p.legacy.name} made again, empty (what it held is not restored)`] : []),
    ...(p.legacy.fate === "created" ? [`${p.legacy.name} retired again (once quiet)`] : []),
  ];
  return `Way back: set ${back.join(" and ")}, then \`pulumi up\`${does.length ? `: ${does.join(", ")}` : ""}`;
}
