/**
 * The step plan, computed from the catalogue's topologies and a live bus written as the server
 * reports it (stream and durable information): what moves, what is left to drain and how long it
 * takes, what rolls, what is retired, what a replace would need, the way back, and what it could
 * not judge. The engine test (test/engine/phase-previews.engine.test.ts) checks printed plans
 * against what each `up` then did.
 */
import { parseStackConfig } from "../../components/config/stack-config";
import { streamToWire } from "../../components/jetstream/wire";
import type { LiveBus, LiveDurable } from "../../components/plan/live-bus";
import { planText } from "../../components/plan/plan-text";
import { stepBasisOf, type DeploymentBasis } from "../../components/plan/step-basis";
import { planStep, subjectMoves, type PlanInput } from "../../components/plan/step-plan";
import { computeTopology } from "../../components/topology/topology";

const L = "ATHLETE_ALLY_EVENTS";
const config = (migrationPhase: number, extra: Record<string, unknown> = {}) => parseStackConfig({ environment: "staging", migrationPhase, nats: { servers: ["nats://127.0.0.1:4222"] }, ...extra });
const topology = (phase: number) => computeTopology(config(phase));
const deployments = (normalize: string, ingest: string): Record<string, DeploymentBasis> => ({
  "normalize-service": { template: normalize, replicas: 3, maxSurge: 1, maxUnavailable: 0 },
  "ingest-service": { template: ingest, replicas: 3, maxSurge: "100%", maxUnavailable: 0 },
});

/** The live bus as a phase leaves it: each stream as the server reports it (a stream without subjects captures its own name), every durable where the phase puts it (idle, unless said otherwise). */
function liveAt(phase: number, durables: Array<Partial<LiveDurable> & { name: string }> = [], lastSeq: Record<string, number> = {}): LiveBus {
  const t = topology(phase);
  const streams = Object.fromEntries(
    t.streams.map((s) => {
      const wire = streamToWire(s.config);
      const subjects = s.config.subjects ?? [s.config.name];
      return [s.config.name, { name: s.config.name, subjects, messages: lastSeq[s.config.name] ?? 0, lastSeq: lastSeq[s.config.name] ?? 0, config: { ...wire, subjects } }];
    }),
  );
  const where = Object.fromEntries(t.consumers.map((c) => [c.config.durableName, c.config.stream]));
  return {
    streams,
    durables: Object.keys(where).map((name) => ({ stream: where[name], name, filters: [], pending: 0, ackPending: 0, redelivered: 0, ackFloor: 0, ...durables.find((d) => d.name === name) })),
  };
}

function input(from: number, to: number, extra: Partial<PlanInput> = {}): PlanInput {
  const t = topology(to);
  return {
    target: stepBasisOf(t, deployments("n1", "i1")),
    previous: stepBasisOf(topology(from), deployments("n0", "i0")),
    live: liveAt(from),
    names: { legacy: L, core: "AA_CORE_HOT" },
    claimSubjects: Object.fromEntries(t.consumers.map((c) => [c.config.durableName, c.claimSubject])),
    wires: Object.fromEntries(t.streams.map((s) => [s.config.name, streamToWire(s.config)])),
    legacy: { quietPeriod: "14d", retirePhase: 3 },
    ...extra,
  };
}

describe("step plan - subjects", () => {
  it("0 -> 1 moves vendor.oura.> from the legacy stream to the vendor stream, captured there as vendor.>; 1 -> 0 moves it back", () => {
    const s = (phase: number) => Object.fromEntries(Object.entries(stepBasisOf(topology(phase)).subjects).map(([k, v]) => [k, v.length ? v : [k]]));
    expect(subjectMoves(s(0), s(1))).toEqual([{ subject: "vendor.oura.>", from: L, to: "AA_VENDOR_HOT", as: "vendor.>" }]);
    expect(subjectMoves(s(1), s(0))).toEqual([{ subject: "vendor.>", from: "AA_VENDOR_HOT", to: L, as: "vendor.oura.>" }]);
    expect(subjectMoves(s(1), s(2)).map((m) => [m.subject, m.from, m.to])).toEqual([
      ["athlete-ally.>", L, "AA_CORE_HOT"],
      ["sleep.*", L, "AA_CORE_HOT"],
    ]);
    expect(subjectMoves(s(2), s(2))).toEqual([]);
  });
});

describe("step plan - a phase step", () => {
  it("1 -> 2: the core subjects and the HRV durable move; it starts after the core stream's last sequence; ingest's percentage goes 0 -> 1; both services roll; the way back is phase 1", () => {
    const p = planStep(input(1, 2, { live: liveAt(1, [{ name: "normalize-hrv-durable", pending: 0, ackPending: 0 }], { AA_CORE_HOT: 0, [L]: 812 }) }));
    expect(p.durables).toEqual([
      { durable: "normalize-hrv-durable", from: L, to: "AA_CORE_HOT", startsAfter: { seq: 0, at: "now" }, onOld: { pending: 0, ackPending: 0, redelivered: 0, ackFloor: 0, filters: [] }, drainSeconds: 0, drain: { waitsUpToMs: 300_000 } },
    ]);
    expect(p.from.newTopology).toBe(0);
    expect(p.to.newTopology).toBe(1);
    expect(p.rolls.map((r) => [r.deployment, r.what])).toEqual([
      ["normalize-service", "rolls"],
      ["ingest-service", "rolls"],
    ]);
    expect(p.legacy).toMatchObject({ name: L, fate: "stays", messages: 812 });
    expect(p.notJudged).toEqual([]);
    const text = planText(p).join("\n");
    expect(text).toContain("subject athlete-ally.>: ATHLETE_ALLY_EVENTS -> AA_CORE_HOT");
    expect(text).toContain("durable normalize-hrv-durable: ATHLETE_ALLY_EVENTS -> AA_CORE_HOT, starts after AA_CORE_HOT sequence 0");
    expect(text).toContain("NEW_TOPOLOGY_PERCENTAGE: 0 -> 1");
    expect(text).toContain("ingest-service rolls: 3 pods, all new pods at once, no old pod stops before a new one is Ready, after the streams take their subjects");
    expect(text).toContain("normalize-service rolls: 3 pods, 1 new pod at a time");
    expect(text).toContain("Way back: set event-bus:migrationPhase to 1, then `pulumi up`: athlete-ally.> back to ATHLETE_ALLY_EVENTS, sleep.* back to ATHLETE_ALLY_EVENTS, normalize-hrv-durable back to ATHLETE_ALLY_EVENTS");
  });

  it("a backlog on the durable that moves: what is left on the old stream, and the drain time at the live rate", () => {
    const p = planStep(input(1, 2, { live: liveAt(1, [{ name: "normalize-hrv-durable", pending: 100, ackPending: 10, ackRate: 20 }]) }));
    expect(p.durables![0]).toMatchObject({ onOld: { pending: 100, ackPending: 10 }, drainSeconds: 5.5 });
    expect(planText(p).join("\n")).toContain(
      "on ATHLETE_ALLY_EVENTS now: 100 pending, 10 awaiting an ack, 0 being redelivered; drains in about 6 s at 20/s; the move waits for it (up to about 5 min, while its readers make progress); event-bus:forceDelete would not wait, and drop 110 messages",
    );
    // Slower than the move waits (300 s): it says the up stops there.
    const slow = planStep(input(1, 2, { live: liveAt(1, [{ name: "normalize-hrv-durable", pending: 10_000, ackRate: 2 }]) }));
    expect(planText(slow).join("\n")).toContain("drains in about 84 min at 2.0/s; longer than the move waits (about 5 min): the up stops there, refusing the move");
    // With forceDelete set, the move does not wait.
    const forced = planStep(input(1, 2, { live: liveAt(1, [{ name: "normalize-hrv-durable", pending: 100, ackRate: 20 }]), safety: { forceDelete: true } }));
    expect(planText(forced).join("\n")).toContain("event-bus:forceDelete is set: the move does not wait, and drops 100 messages");
  });

  it("a stuck redelivery: the message names by its stream sequence, and no estimate while nothing is acknowledged", () => {
    const p = planStep(input(1, 2, { live: liveAt(1, [{ name: "normalize-hrv-durable", pending: 0, ackPending: 1, redelivered: 1, ackFloor: 41, ackRate: 0, filters: ["athlete-ally.hrv.raw-received"] }]) }));
    const text = planText(p).join("\n");
    expect(text).toContain("1 being redelivered (the oldest not acknowledged: the first on athlete-ally.hrv.raw-received after ATHLETE_ALLY_EVENTS sequence 41, its ack floor); drain time not estimated");
    expect(p.notJudged).toEqual(["durable normalize-hrv-durable: 1 still to deliver on ATHLETE_ALLY_EVENTS and no acknowledgement in the look's sample: no drain estimate (are its readers stopped?)"]);
  });

  it("the bus unreachable: subjects and durables as the last up left them, and it says what it did not judge", () => {
    const p = planStep(input(1, 2, { live: { notJudged: "no answer in time" } }));
    expect(p.subjects!.map((m) => m.subject)).toEqual(["athlete-ally.>", "sleep.*"]);
    expect(p.durables!.map((d) => [d.durable, d.from, d.to, d.onOld])).toEqual([["normalize-hrv-durable", L, "AA_CORE_HOT", undefined]]);
    // Neither the bus nor a record: nothing is said to move, it says it did not judge.
    const blind = planText(planStep(input(1, 2, { live: { notJudged: "no answer in time" }, previous: undefined })));
    expect([blind[1], blind[3]]).toEqual(["Subjects that move: not judged", "Durables that move: not judged"]);
    expect(p.notJudged[0]).toBe("the bus was not looked at (no answer in time): subjects and durables are as the last up left them, no counts, no drain estimate, no replace judged");
    expect(planText(p)[0]).toContain("the bus: not looked at (no answer in time): as the last up left it");
  });

  it("no earlier up recorded: which Deployments roll and the way back are not judged, and it says so", () => {
    const p = planStep(input(0, 0, { previous: undefined, live: liveAt(0) }));
    const text = planText(p).join("\n");
    expect(p.rolls).toEqual([]);
    expect(text).toContain("which Deployments roll: not judged");
    expect(text).toContain("Way back: not judged");
    expect(p.notJudged).toContain("no earlier up recorded its services (the stack's first up with this release): which Deployments roll is not judged");
  });

  it("nothing changes: no subject, no durable, no Deployment rolls", () => {
    const same = input(2, 2);
    const p = planStep({ ...same, target: same.previous! });
    expect([p.subjects, p.durables, p.rolls.filter((r) => r.what !== "stays"), p.replaces]).toEqual([[], [], [], []]);
    expect(planText(p)).toContain("Way back: nothing to undo in the phase, mode or canary");
  });

  it("phase 3 retires the legacy stream: it says how much goes with it; held, it says why it stays", () => {
    const live = liveAt(2, [], { [L]: 5_000 });
    const gone = planStep(input(2, 3, { live }));
    expect(gone.legacy).toEqual({ name: L, fate: "deleted", messages: 5_000 });
    expect(planText(gone).join("\n")).toMatch(new RegExp(`Way back: set event-bus:migrationPhase to 2, then \`pulumi up\`: .*${L} made again, empty \\(what it held is not restored\\)`));
    const held = computeTopology(config(3), undefined, { legacyHold: "quiet for 2h of 14d" });
    const kept = planStep({ ...input(2, 3, { live }), target: stepBasisOf(held, deployments("n1", "i1")), legacy: { quietPeriod: "14d", retirePhase: 3, hold: "quiet for 2h of 14d" } });
    expect(kept.legacy).toEqual({ name: L, fate: "kept", messages: 5_000, why: "quiet for 2h of 14d" });
    expect(planText(kept).join("\n")).toContain("event-bus:forceDelete would delete it now, with its 5000 messages");
    // The step back from phase 3 makes it again, empty.
    const { [L]: _gone, ...streams } = liveAt(2).streams;
    const back = planStep(input(3, 2, { live: { streams, durables: liveAt(2).durables } }));
    expect([back.legacy, back.notJudged]).toEqual([{ name: L, fate: "created", why: "retired from phase 3, after 14d without a message and with nothing undelivered" }, []]);
    expect(planText(back).join("\n")).toContain(`${L} retired again (once quiet)`);
  });

  it("the canary's share changes: the Deployments scale, nothing rolls, and the way back is the share before", () => {
    const split = (stable: number, canary: number): Record<string, DeploymentBasis> => ({
      "normalize-service": { template: "n", replicas: stable, maxSurge: 1, maxUnavailable: 0 },
      "normalize-service-canary": { template: "c", replicas: canary, maxSurge: 1, maxUnavailable: 0 },
      "ingest-service": { template: "i", replicas: 3, maxSurge: "100%", maxUnavailable: 0 },
    });
    const p = planStep(input(0, 0, { previous: stepBasisOf(topology(0), split(9, 1), 10), target: stepBasisOf(topology(0), split(5, 5), 50) }));
    const text = planText(p);
    expect(text[0]).toContain("phase 0, mode multi, canary 10% -> 50%");
    expect(text).toContain("  normalize-service stays, scaled 9 -> 5 pods");
    expect(text).toContain("Way back: set event-bus:kubernetes.canaryPercent to 10, then `pulumi up`: normalize-service back to 9 pods, normalize-service-canary back to 1 pod");
  });

  it("deleted outside Pulumi: a durable or the legacy stream the last up left and the bus does not have; a durable on two streams", () => {
    const live = liveAt(1);
    live.durables = live.durables.filter((d) => d.name !== "normalize-hrv-durable");
    const gone = planStep(input(1, 2, { live }));
    expect(gone.durables!.find((d) => d.durable === "normalize-hrv-durable")).toEqual({ durable: "normalize-hrv-durable", to: "AA_CORE_HOT", missing: true });
    expect(gone.notJudged.join("\n")).toContain("normalize-hrv-durable: the last up left it on ATHLETE_ALLY_EVENTS, and the bus has it nowhere (deleted outside Pulumi?): the up fails on it; run `pulumi refresh`");
    const { [L]: _l, ...streams } = liveAt(1).streams;
    expect(planStep(input(1, 1, { live: { streams, durables: [] } })).legacy).toEqual({ name: L, fate: "missing" });
    const twice = liveAt(1);
    twice.durables.push({ ...twice.durables.find((d) => d.name === "normalize-hrv-durable")!, stream: "AA_CORE_HOT" });
    const p = planStep(input(1, 2, { live: twice }));
    expect(p.durables!.map((d) => [d.durable, d.from, d.to])).toEqual([["normalize-hrv-durable", L, "AA_CORE_HOT"]]);
    expect(p.notJudged).toContain("durable normalize-hrv-durable is on ATHLETE_ALLY_EVENTS and AA_CORE_HOT at once (a move cut short?): the up finishes the move, draining the copy on the stream it leaves");
  });

  it("a change the server refuses in place names the field and the rule", () => {
    const live = liveAt(2);
    live.streams.AA_DLQ.config = { ...live.streams.AA_DLQ.config, storage: "memory" as never };
    const p = planStep(input(2, 2, { live }));
    expect(p.replaces).toEqual([{ stream: "AA_DLQ", field: "storage", reason: expect.stringMatching(/storage/), messages: 0, allowed: false }]);
    expect(planText(p).join("\n")).toMatch(/stream AA_DLQ: storage \(.*\): the up refuses it unless event-bus:allowReplace is set, which deletes the stream with its 0 messages and makes it again/);
  });
});
