/**
 * Two stacks on one bus (issue 28, defect 6), through the real engine: a second stack of another
 * name pointed at the bus a first one manages would take its subjects, re-stamp its durables and
 * overwrite its claims. Everything is stamped with the stack it belongs to (event-bus.stack), and
 * the second stack is refused, in its preview and in its up, before anything changes; the first
 * goes on stepping phases. Taking the bus over is a decision: adoptExisting.
 */
import { OWNER_KEY, STACK_KEY } from "../../components/jetstream/ownership";
import { useStacksOnOneServer, type EngineStack } from "../helpers/engine";
import { publishStored } from "../helpers/jetstream";

describe("engine - a second stack on a bus another stack manages is refused before anything changes", () => {
  const live = useStacksOnOneServer({ local: { overrides: { migrationPhase: 1 } }, shadow: { from: "local", overrides: { migrationPhase: 1 } } });
  let first: EngineStack;
  let second: EngineStack;
  beforeAll(() => {
    ({ local: first, shadow: second } = live.stacks);
  });

  /** Every stream and durable on the bus: its subjects, its owner and stack stamps. */
  const bus = async () => {
    const out: Record<string, unknown> = {};
    for await (const si of live.admin.jsm.streams.list()) {
      out[si.config.name] = { subjects: si.config.subjects, owner: si.config.metadata?.[OWNER_KEY], stack: si.config.metadata?.[STACK_KEY], messages: si.state.messages };
      for await (const ci of live.admin.jsm.consumers.list(si.config.name)) out[`${si.config.name}/${ci.name}`] = { owner: ci.config.metadata?.[OWNER_KEY], stack: ci.config.metadata?.[STACK_KEY] };
    }
    return out;
  };

  it("the second stack's preview and up fail naming the first; the bus is as the first left it, and the first steps on", async () => {
    await first.ok(["up", "--yes", "--skip-preview"]);
    // A message no durable reads: the phase step after the refusals has nothing to drain.
    await publishStored(live.admin.nc, "sleep.night", "sleep-1");
    const made = await bus();
    expect((made.ATHLETE_ALLY_EVENTS as { stack: string }).stack).toBe("organization/event-bus/local");

    const preview = await second.run(["preview"]);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout + preview.stderr).toMatch(/stream [A-Z_]+: belongs to Pulumi stack organization\/event-bus\/local \(event-bus\.stack on the server\), not to organization\/event-bus\/shadow/);
    const up = await second.run(["up", "--yes", "--skip-preview"]);
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(/belongs to Pulumi stack organization\/event-bus\/local/);
    expect(await bus()).toEqual(made);

    await first.ok(["config", "set", "event-bus:migrationPhase", "2"]);
    await first.ok(["up", "--yes", "--skip-preview"]);
    expect((await live.admin.jsm.streams.info("AA_CORE_HOT")).config.subjects).toContain("athlete-ally.>");
  }, 300_000);
});
