/** The live phase read from what the streams capture, and the one-phase-per-up rule (components/topology/phase-step.ts). */
import { judgePhaseStep, livePhases } from "../../components/topology/phase-step";

const NAMES = { legacy: "ATHLETE_ALLY_EVENTS", core: "AA_CORE_HOT", vendor: "AA_VENDOR_HOT", dlq: "AA_DLQ" };

describe("the live migration phase", () => {
  it("reads each phase of the seeds from what the streams capture", () => {
    // As the seeds' documents lay them out, phase by phase.
    expect(livePhases({ legacy: ["athlete-ally.>", "vendor.oura.>", "sleep.*"], core: [], vendor: ["AA_VENDOR_HOT"], dlq: ["dlq.>"] }, NAMES)).toEqual([0]);
    expect(livePhases({ legacy: ["athlete-ally.>", "sleep.*"], core: ["AA_CORE_HOT"], vendor: ["vendor.>"], dlq: ["dlq.>"] }, NAMES)).toEqual([1]);
    // Phase 2 and a phase 3 whose legacy stream is held (capturing nothing) look the same.
    expect(livePhases({ legacy: [], core: ["sleep.*", "athlete-ally.>"], vendor: ["vendor.>"], dlq: ["dlq.>"] }, NAMES)).toEqual([2, 3]);
    expect(livePhases({ core: ["athlete-ally.>", "sleep.*"], vendor: ["vendor.>"], dlq: ["dlq.>"] }, NAMES)).toEqual([2, 3]);
  });

  it("a live bus made by hand is phase 0; a fresh one is fresh; one changed by hand matches none", () => {
    expect(livePhases({ legacy: ["athlete-ally.>", "vendor.oura.>", "sleep.*"] }, NAMES)).toEqual([0]);
    expect(livePhases({}, NAMES)).toBe("fresh");
    expect(livePhases({ dlq: ["dlq.>"] }, NAMES)).toBe("fresh");
    expect(livePhases({ legacy: ["athlete-ally.>"], vendor: ["vendor.>"] }, NAMES)).toEqual([]);
  });
});

describe("one phase per up", () => {
  it("lets a step of one phase, forward or back, and any start on a fresh bus", () => {
    expect(judgePhaseStep([0], 1, false)).toEqual({});
    expect(judgePhaseStep([2, 3], 1, false)).toEqual({});
    expect(judgePhaseStep([2, 3], 3, false)).toEqual({});
    expect(judgePhaseStep("fresh", 3, false)).toEqual({});
    expect(judgePhaseStep(undefined, 3, false)).toEqual({});
  });

  it("refuses a jump, naming the phases between and the opt-in; allowPhaseJump lets it through", () => {
    expect(judgePhaseStep([0], 2, false).error).toBe(
      "the bus is in phase 0 (what its streams capture), and 2 is more than one phase away: one `pulumi up` moves one phase, so that each gets its soak. Go through phase 1 first, or set event-bus:allowPhaseJump to \"true\" for this up",
    );
    expect(judgePhaseStep([0], 3, false).error).toMatch(/Go through phases 1 to 2 first/);
    expect(judgePhaseStep([2, 3], 0, false).error).toMatch(/^the bus is in phase 2 or 3 .* Go through phase 1 first/);
    expect(judgePhaseStep([2, 3], 0, true)).toEqual({});
  });

  it("warns when the streams match no phase", () => {
    expect(judgePhaseStep([], 1, false)).toEqual({ warning: "what the streams capture matches no migration phase (changed by hand?): the step to phase 1 was not checked" });
  });
});
