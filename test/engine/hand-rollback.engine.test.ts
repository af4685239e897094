/**
 * The seeds' own rollback, by hand, then the stack again (docs/RUNBOOK.md's "the bus was changed
 * by hand"): every event processed once. At phase 2 an operator moves the core subjects back to
 * the legacy stream with `nats stream update`, as the seeds' runbook says; the stack file then says
 * phase 1 and `pulumi up` brings the HRV durable back to the legacy stream. It must start after
 * what the legacy stream held before the hand rollback (processed at phase 0), not replay it.
 */
import { execFileSync } from "node:child_process";
import { jetstream } from "@nats-io/jetstream";
import { useLocalStack } from "../helpers/engine";
import { publishStored, startReader } from "../helpers/jetstream";
import { NATS_CLI_BIN } from "../helpers/nats-servers";

const HRV = "athlete-ally.hrv.raw-received";
const DURABLE = "normalize-hrv-durable";

describe("engine - the seeds' rollback made by hand, then the stack's step back: nothing processed twice", () => {
  const bus = useLocalStack(0);

  const up = async (phase: number) => {
    await bus.stack.ok(["config", "set", "event-bus:migrationPhase", String(phase)]);
    await bus.stack.ok(["up", "--yes", "--skip-preview"]);
  };
  const publish = async (from: number, n: number) => {
    for (let i = from; i < from + n; i++) await publishStored(bus.admin.nc, HRV, `event-${i}`);
  };
  /** Reads what the HRV durable on `stream` delivers until `n` have come, acknowledging each, as normalize-service does. */
  const readAll = async (stream: string, n: number) => {
    const consumer = await jetstream(bus.admin.nc).consumers.get(stream, DURABLE);
    const reader = startReader(consumer, { batch: 10, pauseMs: 10, ackAck: true, done: (read) => read.length >= n });
    await reader.finished;
    return reader.read;
  };
  const nats = (...args: string[]) => execFileSync(NATS_CLI_BIN, ["--server", bus.server.url, ...args], { stdio: "pipe" });

  it("20 processed at phase 0, 10 at phase 2, 5 after the hand rollback: the step back delivers the 5, and only them", async () => {
    await up(0);
    await publish(0, 20);
    expect((await readAll("ATHLETE_ALLY_EVENTS", 20)).length).toBe(20);
    await up(1);
    await up(2);
    await publish(20, 10);
    expect(await readAll("AA_CORE_HOT", 10)).toEqual(Array.from({ length: 10 }, (_, i) => `event-${20 + i}`));

    // The seeds' phase 2 rollback: the core subjects leave AA_CORE_HOT and go back to the legacy stream.
    nats("stream", "edit", "AA_CORE_HOT", "--subjects", "AA_CORE_HOT", "-f");
    nats("stream", "edit", "ATHLETE_ALLY_EVENTS", "--subjects", "athlete-ally.>,sleep.*", "-f");
    await publish(30, 5);

    await up(1);
    // Right after the 20 the legacy stream held from phase 0: the 5 are what it has to deliver.
    const durable = await bus.admin.jsm.consumers.info("ATHLETE_ALLY_EVENTS", DURABLE);
    expect({ pending: durable.num_pending, startsAt: durable.config.opt_start_seq }).toEqual({ pending: 5, startsAt: 21 });
    expect(await readAll("ATHLETE_ALLY_EVENTS", 5)).toEqual(["event-30", "event-31", "event-32", "event-33", "event-34"]);
  }, 300_000);
});
