/**
 * A durable move refused, then the step back (issue 28, defect 0): the runbook's "rollback when
 * the readers are broken". At phase 1 the HRV durable's reader dies holding a delivery; `pulumi up`
 * to phase 2 hands the core subjects to AA_CORE_HOT, waits on the old durable and refuses to move
 * it. Events published now are stored on AA_CORE_HOT, where no durable reads them. The step back
 * to phase 1 gives the subjects back to the legacy stream, and those events must follow them there
 * (carry.ts) for the legacy durable: every event processed once, none stranded.
 */
import { jetstream } from "@nats-io/jetstream";
import { useLocalStack } from "../helpers/engine";
import { publishStored, startReader } from "../helpers/jetstream";
import { CARRIED_FROM_HEADER } from "../../components/jetstream/carry";

const HRV = "athlete-ally.hrv.raw-received";
const DURABLE = "normalize-hrv-durable";
const LEGACY = "ATHLETE_ALLY_EVENTS";
const CORE = "AA_CORE_HOT";

describe("engine - a refused durable move, then the step back: what arrived meanwhile follows its subjects", () => {
  // A short ack wait: the move refuses after the stall (10 s) plus one ack wait.
  const bus = useLocalStack(1, { hrvConsumer: { ackWait: "2s" } });

  const up = (phase: number) => bus.stack.ok(["config", "set", "event-bus:migrationPhase", String(phase)]).then(() => bus.stack.run(["up", "--yes", "--skip-preview"]));

  it("5 events stored on AA_CORE_HOT while the move is refused reach the legacy durable after the step back, once each", async () => {
    expect((await up(1)).code).toBe(0);
    await publishStored(bus.admin.nc, HRV, "event-0");
    // The reader takes the delivery and dies without acknowledging it.
    const legacyDurable = await jetstream(bus.admin.nc).consumers.get(LEGACY, DURABLE);
    const held = [];
    for await (const m of await legacyDurable.fetch({ max_messages: 1, expires: 2_000 })) held.push(m.string());
    expect(held).toEqual(["event-0"]);

    const refused = await up(2);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/not acknowledged[^]*refusing to move it/);
    // The refused up recorded no step basis: the next preview's plan still starts from phase 1, where the last up that went through left the stack.
    const basis = JSON.parse((await bus.stack.ok(["stack", "output", "stepBasis", "--json"])).stdout) as { phase: number; durables: Record<string, string> };
    expect([basis.phase, basis.durables[DURABLE]]).toEqual([1, LEGACY]);
    // The subjects are on AA_CORE_HOT, and no durable there reads them.
    const stored = [];
    for (let i = 1; i <= 5; i++) stored.push(await publishStored(bus.admin.nc, HRV, `event-${i}`));
    expect(new Set(stored.map((s) => s.stream))).toEqual(new Set([CORE]));
    const onCore = [];
    for await (const ci of bus.admin.jsm.consumers.list(CORE)) onCore.push(ci.name);
    expect(onCore).toEqual([]);

    // The step back.
    const back = await up(1);
    expect({ code: back.code, out: back.code === 0 ? "" : back.stdout + back.stderr }).toEqual({ code: 0, out: "" });
    const legacy = await bus.admin.jsm.streams.info(LEGACY);
    expect(legacy.config.subjects).toContain("athlete-ally.>");
    // Each of the 5 is in the legacy stream once, saying where it came from.
    const carried: string[] = [];
    for (let seq = 1; seq <= legacy.state.last_seq; seq++) {
      const m = await bus.admin.jsm.streams.getMessage(LEGACY, { seq }).catch(() => null);
      if (m?.header?.has(CARRIED_FROM_HEADER)) carried.push(`${m.string()}<-${m.header.get(CARRIED_FROM_HEADER)}`);
    }
    expect(carried).toEqual(stored.map((s, i) => `event-${i + 1}<-${CORE}:${s.seq}`));
    // The durable, read by a running reader: the held event (redelivered) and the 5, each once.
    const reader = startReader(legacyDurable, { batch: 10, pauseMs: 10, ackAck: true, done: (read) => read.length >= 6 });
    await reader.finished;
    expect([...reader.read].sort()).toEqual(["event-0", "event-1", "event-2", "event-3", "event-4", "event-5"]);
    await new Promise((r) => setTimeout(r, 3_000));
    const after = await bus.admin.jsm.consumers.info(LEGACY, DURABLE);
    expect({ pending: after.num_pending, unacked: after.num_ack_pending }).toEqual({ pending: 0, unacked: 0 });
    // A rerun copies nothing again.
    expect((await up(1)).code).toBe(0);
    expect((await bus.admin.jsm.streams.info(LEGACY)).state.messages).toBe(legacy.state.messages);
  }, 300_000);
});
