/**
 * Phase steps through the real engine on the local stack: a preview that would jump two phases
 * fails naming `event-bus:migrationPhase` and changes nothing, `allowPhaseJump` lets it through,
 * and a step of one goes. Then `event-bus:forceDelete` retires the legacy stream before its quiet
 * period ends, as the refusal's message says: the preview plans the delete and says why. Then the
 * rollback with `--parallel 1`, where the claiming stream's update runs before the releasing one's.
 */
import { plannedSteps, useLocalStack } from "../helpers/engine";
import { publishStored } from "../helpers/jetstream";

describe("engine - one phase per up, and forceDelete retiring the legacy stream early", () => {
  const bus = useLocalStack(0);

  const legacySubjects = async () => (await bus.admin.jsm.streams.info("ATHLETE_ALLY_EVENTS")).config.subjects;

  it("refuses a jump of two phases naming the key, lets it with allowPhaseJump, and takes a step of one", async () => {
    await bus.stack.ok(["up", "--yes", "--skip-preview"]); // a fresh bus starts anywhere: here, phase 0
    const before = await legacySubjects();
    expect(before).toEqual(["athlete-ally.>", "vendor.oura.>", "sleep.*"]);

    await bus.stack.ok(["config", "set", "event-bus:migrationPhase", "2"]);
    const jump = await bus.stack.run(["preview"]);
    expect(jump.code).not.toBe(0);
    expect(jump.stdout + jump.stderr).toMatch(/event-bus:migrationPhase: the bus is in phase 0 \(what its streams capture\), and 2 is more than one phase away.*Go through phase 1 first, or set event-bus:allowPhaseJump to "true"/s);
    expect(await legacySubjects()).toEqual(before);

    await bus.stack.ok(["config", "set", "event-bus:allowPhaseJump", "true"]);
    const allowed = await bus.stack.ok(["preview", "--json"]);
    expect(plannedSteps(allowed.stdout).filter(([op]) => op !== "same").length).toBeGreaterThan(0);
    await bus.stack.ok(["config", "rm", "event-bus:allowPhaseJump"]);

    await bus.stack.ok(["config", "set", "event-bus:migrationPhase", "1"]);
    await bus.stack.ok(["up", "--yes"]);
    expect(await legacySubjects()).toEqual(["athlete-ally.>", "sleep.*"]);
    await bus.stack.ok(["config", "set", "event-bus:migrationPhase", "2"]);
    await bus.stack.ok(["up", "--yes"]);
    // Capturing nothing of ours: only its own name.
    expect(await legacySubjects()).toEqual(["ATHLETE_ALLY_EVENTS"]);
  }, 240_000);

  it("forceDelete retires the legacy stream inside its quiet period: planned in the preview, with the reason", async () => {
    // Stored on the legacy stream before it gave its subjects up: it has received a message within the quiet period.
    expect((await bus.admin.jsm.streams.info("ATHLETE_ALLY_EVENTS")).state.last_seq).toBe(0);
    await bus.stack.ok(["config", "set", "event-bus:migrationPhase", "1"]);
    await bus.stack.ok(["up", "--yes"]);
    await publishStored(bus.admin.nc, "sleep.night", "the last message the legacy stream receives");
    await bus.stack.ok(["config", "set", "event-bus:migrationPhase", "2"]);
    await bus.stack.ok(["up", "--yes"]);

    await bus.stack.ok(["config", "set", "event-bus:migrationPhase", "3"]);
    const held = await bus.stack.ok(["preview", "--json"]);
    expect(plannedSteps(held.stdout)).not.toContainEqual(["delete", "event-bus-stream-legacy"]);
    expect(held.stdout).toMatch(/stream ATHLETE_ALLY_EVENTS: received its last message at \S+; it is retired only after 14d without one/);

    await bus.stack.ok(["config", "set", "event-bus:forceDelete", "true"]);
    const forced = await bus.stack.ok(["preview", "--json"]);
    expect(plannedSteps(forced.stdout)).toContainEqual(["delete", "event-bus-stream-legacy"]);
    expect(forced.stdout).toMatch(/it is retired only after 14d without one .*; event-bus:forceDelete retires it now, with what it still holds/);
    await bus.stack.ok(["up", "--yes"]);
    const names: string[] = [];
    for await (const si of bus.admin.jsm.streams.list()) names.push(si.config.name);
    expect(names.sort()).toEqual(["AA_CORE_HOT", "AA_DLQ", "AA_VENDOR_HOT"]);
  }, 240_000);

  it("rolls back 3 -> 2 -> 1 with --parallel 1: the claiming stream takes the subjects instead of waiting for a release that runs after it", async () => {
    await bus.stack.ok(["config", "rm", "event-bus:forceDelete"]);
    for (const phase of [2, 1]) {
      await bus.stack.ok(["config", "set", "event-bus:migrationPhase", String(phase)]);
      const began = Date.now();
      await bus.stack.ok(["up", "--yes", "--parallel", "1"]);
      console.log(`rollback to phase ${phase} with --parallel 1: ${Date.now() - began} ms`);
    }
    expect(await legacySubjects()).toEqual(["athlete-ally.>", "sleep.*"]);
    expect((await bus.admin.jsm.streams.info("AA_CORE_HOT")).config.subjects).toEqual(["AA_CORE_HOT"]);
    expect((await publishStored(bus.admin.nc, "athlete-ally.hrv.raw-received", "after the rollback")).stream).toBe("ATHLETE_ALLY_EVENTS");
    await bus.stack.ok(["preview", "--expect-no-changes"]);
  }, 240_000);
});
