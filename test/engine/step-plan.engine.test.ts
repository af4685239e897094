/**
 * What a reviewer needs from the preview's step plan when the bus is not idle, through the real
 * engine on the local stack at phase 1, previewing the step to phase 2 (the HRV durable moves):
 * a message stuck in redelivery is named by its stream sequence and no drain time is guessed; a
 * backlog that readers work through is counted and its drain estimated from the rate the preview
 * measured; an unreachable bus is said to be one, and the plan falls back to what the last up left,
 * saying so. Previews only: nothing is applied.
 */
import { jetstream } from "@nats-io/jetstream";
import { closeConnections } from "../../components/jetstream/client";
import { sleep } from "../../components/poll";
import { printedPlan, useLocalStack } from "../helpers/engine";
import { publishStored, startReader } from "../helpers/jetstream";

const L = "ATHLETE_ALLY_EVENTS";
const HRV = "athlete-ally.hrv.raw-received";
const DURABLE = "normalize-hrv-durable";

describe("engine - the step plan of a busy, stuck or unreachable bus", () => {
  // A durable whose unacknowledged deliveries come back after 1 s.
  const live = useLocalStack(1, { mode: "multi", hrvConsumer: { ackWait: "1s" } });
  const planOf = async () => {
    await live.stack.ok(["config", "set", "event-bus:migrationPhase", "2"]);
    const plan = printedPlan((await live.stack.ok(["preview", "--json"])).stdout);
    console.log(plan.join("\n"));
    return plan;
  };
  const durableLine = (plan: string[]) => plan.find((l) => l.startsWith(`  durable ${DURABLE}:`)) ?? "";

  beforeAll(async () => {
    await live.stack.ok(["up", "--yes", "--skip-preview"]);
  }, 120_000);
  afterAll(closeConnections);

  it("a stuck redelivery: the message named by its sequence, no drain time guessed, and it says why", async () => {
    const { seq } = await publishStored(live.admin.nc, HRV, "poison");
    const consumer = await jetstream(live.admin.nc).consumers.get(L, DURABLE);
    // Delivered, never acknowledged, delivered again after the ack wait.
    for (let i = 0; i < 2; i++) {
      for await (const m of await consumer.fetch({ max_messages: 1, expires: 2_000 })) expect(m.seq).toBe(seq);
      await sleep(1_200);
    }
    for await (const m of await consumer.fetch({ max_messages: 1, expires: 2_000 })) expect(m.info.redelivered).toBe(true);
    const plan = await planOf();
    // Nothing on the stream before it: the durable's ack floor is the sequence before it.
    expect(durableLine(plan)).toContain(`on ${L} now: 0 pending, 1 awaiting an ack, 1 being redelivered (the oldest not acknowledged: the first on ${HRV} after ${L} sequence ${seq - 1}, its ack floor); drain time not estimated`);
    expect(plan).toContain(`  durable ${DURABLE}: 1 still to deliver on ${L} and no acknowledgement in the look's sample: no drain estimate (are its readers stopped?)`);
    // Acknowledged: nothing left for the next case.
    for await (const m of await consumer.fetch({ max_messages: 1, expires: 3_000 })) await m.ackAck();
  }, 120_000);

  it("a backlog being read: counted on the old stream, and its drain estimated from the rate the preview measured", async () => {
    const total = 600;
    for (let i = 0; i < total; i++) await publishStored(live.admin.nc, HRV, `backlog ${i}`);
    const consumer = await jetstream(live.admin.nc).consumers.get(L, DURABLE);
    // About 50 a second: 5 every 100 ms.
    let stop = false;
    const reader = startReader(consumer, { batch: 5, pauseMs: 100, done: () => stop });
    try {
      await sleep(1_000);
      const plan = await planOf();
      const m = new RegExp(`on ${L} now: (\\d+) pending, (\\d+) awaiting an ack, 0 being redelivered; drains in about (\\d+) (s|min) at ([\\d.]+)/s; the move waits for it`).exec(durableLine(plan));
      expect(m).not.toBeNull();
      const [pending, ackPending, estimate, rate] = [Number(m![1]), Number(m![2]), Number(m![3]) * (m![4] === "min" ? 60 : 1), Number(m![5])];
      // The counts were read while the reader was still at it; the rate is the reader's pace.
      expect(pending + ackPending).toBeGreaterThan(0);
      expect(pending + ackPending).toBeLessThan(total);
      expect(rate).toBeGreaterThan(10);
      expect(rate).toBeLessThan(100);
      // The estimate is what is left at that rate (rounded up to the second, or the minute).
      expect(estimate).toBeGreaterThanOrEqual(Math.floor((pending + ackPending) / rate));
      expect(estimate).toBeLessThanOrEqual(Math.ceil((pending + ackPending) / rate) + (m![4] === "min" ? 60 : 1));
    } finally {
      stop = true;
      await reader.finished;
    }
  }, 180_000);

  it("the bus unreachable: it says so, and the moves are the ones the last up left to do", async () => {
    await live.server.halt();
    try {
      const plan = await planOf();
      expect(plan[0]).toContain("(the bus: not looked at (no answer in time): as the last up left it;");
      expect(plan).toContain("  subject athlete-ally.>: ATHLETE_ALLY_EVENTS -> AA_CORE_HOT");
      expect(durableLine(plan)).toBe(`  durable ${DURABLE}: ${L} -> AA_CORE_HOT`);
      expect(plan).toContain("  the bus was not looked at (no answer in time): subjects and durables are as the last up left them, no counts, no drain estimate, no replace judged");
    } finally {
      await live.server.start();
    }
  }, 120_000);
});
