/**
 * What a migration walk measured, per step, from the service doubles' records
 * (test/doubles/records.ts) and the pod agent's events: pure, so that the judgement of a walk can
 * be read and tested apart from running one.
 */
import type { DoubleRecord } from "../doubles/records";
import type { PodEvent } from "../helpers/pod-agent";

/** The subjects a durable reads: an event on one of them that is never processed is lost. */
export const CONSUMED = ["athlete-ally.hrv.raw-received", "vendor.oura.sleep"];

export interface StepWindow {
  label: string;
  /** When its `pulumi up` started, and how long it took. */
  startedAt: number;
  upMs: number;
  /** When the next step started (or the walk ended). */
  endsAt: number;
}

export interface StepRow {
  step: string;
  published: number;
  lost: number;
  twice: number;
  /** Why each event processed twice was: "stored twice" (a publish retried after its ack was lost) or "redelivered" (an acknowledgement lost). */
  twiceWhy: string;
  refused: number;
  /** The longest a caller waited on one event, from its first attempt until it was stored or given back as an error (refusals and retries included). */
  longestRetryMs: number;
  longestWaitMs: number;
  podsRestarted: number;
  crashes: number;
  upS: number;
}

type Published = Extract<DoubleRecord, { t: "published" }>;
type Processed = Extract<DoubleRecord, { t: "processed" }>;

/** Why an event was processed more than once, or "unexplained". */
export function whyTwice(copies: Processed[]): "stored twice" | "redelivered" | "unexplained" {
  const places = new Set(copies.map((c) => `${c.stream}#${c.seq}`));
  if (places.size > 1) return "stored twice";
  if (copies.slice(1).every((c) => c.redelivered)) return "redelivered";
  return "unexplained";
}

export function stepRows(records: DoubleRecord[], events: PodEvent[], steps: StepWindow[]): StepRow[] {
  const published = records.filter((r): r is Published => r.t === "published");
  const processed = new Map<string, Processed[]>();
  for (const r of records) if (r.t === "processed") processed.set(r.id, [...(processed.get(r.id) ?? []), r]);
  const services = (e: PodEvent) => /\/(normalize|ingest)-service/.test(e.pod);
  return steps.map((s) => {
    const inStep = (at: number) => at >= s.startedAt && at < s.endsAt;
    const mine = published.filter((p) => inStep(p.firstAt));
    const consumed = mine.filter((p) => CONSUMED.includes(p.subject));
    const twice = consumed.filter((p) => (processed.get(p.id)?.length ?? 0) > 1);
    const why = new Map<string, number>();
    for (const p of twice) {
      const w = whyTwice(processed.get(p.id)!);
      why.set(w, (why.get(w) ?? 0) + 1);
    }
    // From when the stream stored it to when a service first processed it (refused attempts
    // before that are counted apart, as publishes refused).
    const waits = consumed.map((p) => {
      const first = processed.get(p.id)?.[0];
      return first ? first.at - p.at : Number.POSITIVE_INFINITY;
    });
    return {
      step: s.label,
      published: mine.length,
      lost: consumed.filter((p) => !processed.has(p.id)).length,
      twice: twice.length,
      twiceWhy: [...why.entries()].map(([w, n]) => `${n} ${w}`).join(", "),
      refused: records.filter((r) => r.t === "refused" && inStep(r.at)).length,
      longestRetryMs: Math.max(0, ...retries(records).filter((r) => inStep(r.firstAt)).map((r) => r.ms)),
      longestWaitMs: Math.max(0, ...waits),
      podsRestarted: events.filter((e) => e.event === "stopped" && services(e) && inStep(e.at)).length,
      crashes: events.filter((e) => e.event === "crashed" && inStep(e.at)).length,
      upS: Math.round(s.upMs / 100) / 10,
    };
  });
}

/**
 * How long each caller's event took from its first attempt until the bus took it, or until its
 * pod gave it back to the caller as an error (abandoned on shutdown, still refused): refusals
 * included, so a subject left without its stream shows as the longest of these.
 */
function retries(records: DoubleRecord[]): Array<{ id: string; firstAt: number; ms: number }> {
  const byId = new Map<string, { firstAt: number; endAt: number }>();
  for (const r of records) {
    if (r.t !== "published" && r.t !== "refused" && r.t !== "abandoned") continue;
    const firstAt = r.t === "published" ? r.firstAt : r.at;
    const seen = byId.get(r.id);
    byId.set(r.id, { firstAt: Math.min(seen?.firstAt ?? firstAt, firstAt), endAt: Math.max(seen?.endAt ?? r.at, r.at) });
  }
  return [...byId.entries()].map(([id, x]) => ({ id, firstAt: x.firstAt, ms: x.endAt - x.firstAt }));
}

/** What a publisher and a reader may see in one step, at most: a walk passes only inside these. */
export interface StepBounds {
  /** Publishes refused in the step (each an error answer to ingest's caller, who sends it again). */
  refused: number;
  /** The longest one caller retried before its event was stored: a subject left without a stream shows here. */
  longestRetryMs: number;
  /** The longest an event waited between being stored and first processed. */
  longestWaitMs: number;
}

/** Where a row goes past its bounds, one line each (empty when within). Pure. */
export function overBounds(row: StepRow, bounds: StepBounds): string[] {
  const over: string[] = [];
  if (row.refused > bounds.refused) over.push(`${row.step}: ${row.refused} publishes refused, bound ${bounds.refused}`);
  if (row.longestRetryMs > bounds.longestRetryMs) over.push(`${row.step}: a caller retried for ${row.longestRetryMs} ms, bound ${bounds.longestRetryMs} ms`);
  if (!(row.longestWaitMs <= bounds.longestWaitMs)) over.push(`${row.step}: an event waited ${Number.isFinite(row.longestWaitMs) ? `${row.longestWaitMs} ms` : "forever"} to be processed, bound ${bounds.longestWaitMs} ms`);
  return over;
}

/** The table as the note shows it. */
export function formatRows(rows: StepRow[]): string {
  const head = "| step | published | lost | processed twice | publishes refused | longest retry (ms) | longest wait (ms) | pods restarted | crashes | pulumi up (s) |";
  const line = "|---|---|---|---|---|---|---|---|---|---|";
  const body = rows.map((r) => `| ${r.step} | ${r.published} | ${r.lost} | ${r.twice}${r.twiceWhy ? ` (${r.twiceWhy})` : ""} | ${r.refused} | ${r.longestRetryMs} | ${Number.isFinite(r.longestWaitMs) ? r.longestWaitMs : "never"} | ${r.podsRestarted} | ${r.crashes} | ${r.upS} |`);
  return [head, line, ...body].join("\n");
}
