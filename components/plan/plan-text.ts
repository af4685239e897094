/**
 * A step plan as the preview prints it (and the pull-request comment and the production approval
 * summary lead with): short lines in the bus's terms, each section saying what it could not judge.
 * Pure.
 */
import type { Roll, StepPlan } from "./step-plan";

/** The first line of every plan: how the workflows find it in a preview's output. */
export const PLAN_HEADING = "Step plan";

const arrow = (a: unknown, b: unknown) => (a === undefined || a === b ? `${b}` : `${a} -> ${b}`);
const perSecond = (r: number) => (r >= 10 ? r.toFixed(0) : r.toFixed(1));

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

export function planText(p: StepPlan): string[] {
  const lines: string[] = [];
  const modes = p.from.mode !== undefined && p.from.mode !== p.to.mode ? `, mode ${arrow(p.from.mode, p.to.mode)}` : `, mode ${p.to.mode}`;
  const pct = (n: number | undefined) => (n === undefined ? undefined : `${n}%`);
  const canary = p.to.canaryPercent || p.from.canaryPercent ? `, canary ${arrow(pct(p.from.canaryPercent), pct(p.to.canaryPercent ?? 0))}` : "";
  lines.push(`${PLAN_HEADING}: phase ${arrow(p.from.phase, p.to.phase)}${modes}${canary} (the bus: ${p.judged.bus}; the services: ${p.judged.services === "last up" ? "compared with the last up" : "not judged"})`);

  lines.push(p.subjects.length ? "Subjects that move:" : "Subjects that move: none");
  for (const m of p.subjects) lines.push(`  subject ${m.subject}: ${m.from ?? "(no stream)"} -> ${m.to ?? "(no stream: publishes there are refused)"}${m.as ? ` (as ${m.as})` : ""}`);
  if (p.subjects.some((m) => m.from && m.to)) {
    lines.push("  publishers: a publish on a moving subject between the hand-over's two stream updates (a few ms) finds no stream and is refused (no responders); the caller sends it again");
  }
  const expects = (f: 0 | 1 | undefined) => (f === undefined ? "?" : String(f));
  lines.push(
    p.from.newTopology === undefined || p.from.newTopology === p.to.newTopology
      ? `  ingest-service's NEW_TOPOLOGY_PERCENTAGE: ${p.to.newTopology}${p.from.newTopology === undefined ? " (before: not recorded)" : " (unchanged)"}; core events expected on ${p.binds.ingestExpects}`
      : `  ingest-service's NEW_TOPOLOGY_PERCENTAGE: ${expects(p.from.newTopology)} -> ${p.to.newTopology}; core events expected on ${p.binds.ingestExpects}; from the hand-over until ingest's roll ends, an old pod's publish expecting the other stream is refused, and the caller sends it again`,
  );

  lines.push(p.durables.length ? "Durables that move:" : "Durables that move: none");
  for (const d of p.durables) {
    if (!d.to) {
      lines.push(`  durable ${d.durable}: deleted from ${d.from}`);
      continue;
    }
    const start = d.startsAfter ? `, starts after ${d.to} sequence ${d.startsAfter.seq}${d.startsAfter.at === "now" ? " (its last now: the claim in this step takes it then)" : " (where it claimed the subject)"}` : "";
    let old = "";
    if (d.onOld) {
      const o = d.onOld;
      old = `; on ${d.from} now: ${o.pending} pending, ${o.ackPending} awaiting an ack, ${o.redelivered} being redelivered`;
      if (o.redelivered > 0) old += ` (the oldest not acknowledged: ${d.from} sequence ${o.ackFloor + 1})`;
      old += d.drainSeconds === 0 ? "; nothing to drain" : d.drainSeconds !== undefined ? `; drained in ${seconds(d.drainSeconds)} at ${perSecond(o.ackRate!)}/s (the move waits for it)` : "; drain time not estimated";
      if (d.drainSeconds !== 0) old += `; event-bus:forceDelete would move it without waiting, dropping ${o.pending + o.ackPending} message${o.pending + o.ackPending === 1 ? "" : "s"}`;
    }
    lines.push(`  durable ${d.durable}: ${d.from ?? "(new)"} -> ${d.to}${start}${old}`);
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

  const l = p.legacy;
  const holds = l.messages === undefined ? "" : ` (holds ${l.messages} message${l.messages === 1 ? "" : "s"})`;
  lines.push(
    l.fate === "gone"
      ? `Legacy stream ${l.name}: already retired`
      : l.fate === "created"
        ? `Legacy stream ${l.name}: made again, empty, capturing nothing of ours; ${l.why}`
      : l.fate === "deleted"
        ? `Legacy stream ${l.name}: deleted now${holds}${l.why ? `, by ${l.why}` : ""}`
        : `Legacy stream ${l.name}: ${l.fate}${holds}: ${l.why}${l.fate === "kept" ? `; event-bus:forceDelete would delete it now${l.messages !== undefined ? `, with its ${l.messages} message${l.messages === 1 ? "" : "s"}` : ""}` : ""}`,
  );

  lines.push(p.replaces.length ? "Replaced:" : "Replaced: nothing");
  for (const r of p.replaces) lines.push(`  stream ${r.stream}: ${r.field} (${r.reason})`);

  lines.push(wayBack(p));
  if (p.notJudged.length) {
    lines.push("Not judged:");
    for (const n of p.notJudged) lines.push(`  ${n}`);
  }
  return lines;
}

/** The change that reverts this step, and what it would do. */
function wayBack(p: StepPlan): string {
  const back: string[] = [];
  if (p.from.phase !== undefined && p.from.phase !== p.to.phase) back.push(`event-bus:migrationPhase to ${p.from.phase}`);
  if (p.from.mode !== undefined && p.from.mode !== p.to.mode) back.push(`event-bus:mode to ${p.from.mode}`);
  if (p.from.phase !== undefined && (p.from.canaryPercent ?? 0) !== (p.to.canaryPercent ?? 0)) back.push(`event-bus:kubernetes.canaryPercent to ${p.from.canaryPercent ?? 0}`);
  if (!back.length) return p.from.phase === undefined ? "Way back: not judged (no earlier up recorded where the stack was)" : "Way back: nothing to undo in the phase or mode";
  const does = [
    ...p.subjects.filter((m) => m.from && m.to).map((m) => `${m.subject} back to ${m.from}`),
    ...p.durables.filter((d) => d.from && d.to).map((d) => `${d.durable} back to ${d.from}`),
    ...p.rolls.filter((r) => r.what === "rolls").map((r) => `${r.deployment} rolls again`),
    ...p.rolls.filter((r) => r.replicasBefore !== undefined).map((r) => `${r.deployment} back to ${r.replicasBefore} pod${r.replicasBefore === 1 ? "" : "s"}`),
    ...p.rolls.filter((r) => r.what === "created").map((r) => `${r.deployment} deleted`),
    ...p.rolls.filter((r) => r.what === "deleted").map((r) => `${r.deployment} made again`),
    ...(p.legacy.fate === "deleted" ? [`${p.legacy.name} made again, empty (what it held is not restored)`] : []),
    ...(p.legacy.fate === "created" ? [`${p.legacy.name} retired again (once quiet)`] : []),
  ];
  return `Way back: set ${back.join(" and ")}, then \`pulumi up\`${does.length ? `: ${does.join(", ")}` : ""}`;
}
