/**
 * How a walk's step is judged from the doubles' records: an event on a consumed subject never
 * processed is lost; one processed twice is explained (stored twice after a retried publish, or
 * redelivered after a lost acknowledgement) or flagged unexplained.
 */
import type { DoubleRecord } from "../doubles/records";
import { overBounds, stepRows, whyTwice, type StepRow } from "./walk";

const pub = (id: string, at: number, subject = "athlete-ally.hrv.raw-received"): DoubleRecord => ({ t: "published", pod: "i", at, firstAt: at - 5, id, subject, stream: "S", seq: 1, duplicate: false, attempts: 1 });
const proc = (id: string, at: number, stream = "S", seq = 1, redelivered = false): DoubleRecord => ({ t: "processed", pod: "n", at, id, key: "hrv", stream, seq, redelivered });

describe("walk - a step's row", () => {
  it("counts lost, processed twice with its reason, refusals, the longest wait, stopped pods and crashes in the step's window", () => {
    const records: DoubleRecord[] = [
      pub("a", 100),
      proc("a", 150),
      pub("b", 200),
      pub("c", 300),
      proc("c", 320, "S", 3),
      proc("c", 900, "T", 1),
      pub("d", 400),
      proc("d", 410, "S", 4),
      proc("d", 470, "S", 4, true),
      pub("e", 500, "sleep.summary"),
      { t: "refused", pod: "i", at: 250, id: "x", subject: "athlete-ally.hrv.raw-received", reason: "expected stream does not match" },
      pub("later", 2_000),
      proc("later", 2_010),
    ];
    const events = [
      { at: 260, pod: "production/normalize-service-abc", event: "stopped" as const },
      { at: 270, pod: "production/nats-0", event: "stopped" as const },
      { at: 2_100, pod: "production/normalize-service-def", event: "crashed" as const },
    ];
    const [row, next] = stepRows(records, events, [
      { label: "one", startedAt: 0, upMs: 1_234, endsAt: 1_000 },
      { label: "two", startedAt: 1_000, upMs: 500, endsAt: 3_000 },
    ]);
    expect(row).toEqual({ step: "one", published: 5, lost: 1, twice: 2, twiceWhy: "1 stored twice, 1 redelivered", refused: 1, longestRetryMs: 5, longestWaitMs: Number.POSITIVE_INFINITY, podsRestarted: 1, crashes: 0, upS: 1.2 });
    expect(next).toMatchObject({ step: "two", published: 1, lost: 0, twice: 0, longestRetryMs: 5, longestWaitMs: 10, crashes: 1 });
  });

  it("the longest retry is the longest a caller waited on one event: stored after refusals, or given back as an error when its pod stopped", () => {
    const retried: DoubleRecord = { t: "published", pod: "i", at: 9_000, firstAt: 1_000, id: "r", subject: "sleep.summary", stream: "S", seq: 2, duplicate: false, attempts: 40 };
    const [row] = stepRows([pub("a", 500), retried], [], [{ label: "one", startedAt: 0, upMs: 1, endsAt: 10_000 }]);
    expect(row.longestRetryMs).toBe(8_000);
    // Refused from 2 s on, never stored: its pod gave it back at 14 s.
    const given: DoubleRecord[] = [
      { t: "refused", pod: "i", at: 2_000, id: "g", subject: "athlete-ally.hrv.raw-received", reason: "expected stream does not match" },
      { t: "refused", pod: "i", at: 13_900, id: "g", subject: "athlete-ally.hrv.raw-received", reason: "expected stream does not match" },
      { t: "abandoned", pod: "i", at: 14_000, id: "g", subject: "athlete-ally.hrv.raw-received" },
    ];
    const [gave, after] = stepRows([pub("a", 500), ...given], [], [
      { label: "one", startedAt: 0, upMs: 1, endsAt: 10_000 },
      { label: "two", startedAt: 10_000, upMs: 1, endsAt: 20_000 },
    ]);
    expect([gave.longestRetryMs, after.longestRetryMs]).toEqual([12_000, 0]);
  });
});

describe("walk - a step's bounds", () => {
  const row = (over: Partial<StepRow>): StepRow => ({ step: "1 -> 2", published: 100, lost: 0, twice: 0, twiceWhy: "", refused: 0, longestRetryMs: 0, longestWaitMs: 0, podsRestarted: 0, crashes: 0, upS: 1, ...over });
  const bounds = { refused: 10, longestRetryMs: 2_000, longestWaitMs: 5_000 };

  it("a step inside every bound passes, at the bounds too", () => {
    expect(overBounds(row({ refused: 10, longestRetryMs: 2_000, longestWaitMs: 5_000 }), bounds)).toEqual([]);
  });

  it("a subject without a stream (many refusals, a caller retrying for minutes) and an event never processed each fail, saying which bound", () => {
    expect(overBounds(row({ refused: 3_600, longestRetryMs: 180_000, longestWaitMs: Number.POSITIVE_INFINITY }), bounds)).toEqual([
      "1 -> 2: 3600 publishes refused, bound 10",
      "1 -> 2: a caller retried for 180000 ms, bound 2000 ms",
      "1 -> 2: an event waited forever to be processed, bound 5000 ms",
    ]);
  });

  it("a second processing of the same stored message that was not a redelivery is unexplained", () => {
    expect(whyTwice([proc("a", 1), proc("a", 2)] as Array<Extract<DoubleRecord, { t: "processed" }>>)).toBe("unexplained");
  });
});
