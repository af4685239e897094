/**
 * The topology catalogue is the one place the bus's shape is written: adding a consumer or moving
 * a subject is one edit of it, and the configuration, the topology of every phase and the NATS
 * users' permissions follow.
 */
import { parseStackConfig, PHASES, StackConfigError } from "../../components/config/stack-config";
import { coveredBy, findCollisions } from "../../components/jetstream/subjects";
import { natsUsers } from "../../components/kubernetes/nats-users";
import { CATALOGUE, publishedSubjects, subjectsByPhase, type Catalogue } from "../../components/topology/catalogue";
import { computeTopology } from "../../components/topology/topology";

const raw = (extra: Record<string, unknown> = {}) => ({ environment: "staging", migrationPhase: 3, nats: { servers: ["nats://127.0.0.1:4222"] }, ...extra });
const user = (catalogue: Catalogue, name: string, extra: Record<string, unknown> = {}) => natsUsers(parseStackConfig(raw(extra), [], catalogue), catalogue).find((u) => u.name === name)!;

describe("catalogue - the seeds' bus", () => {
  it("each phase's subjects, as the seeds move them", () => {
    expect(PHASES.map((p) => subjectsByPhase(p))).toEqual([
      { legacy: ["athlete-ally.>", "vendor.oura.>", "sleep.*"], core: [], vendor: [], dlq: ["dlq.>"] },
      { legacy: ["athlete-ally.>", "sleep.*"], core: [], vendor: ["vendor.>"], dlq: ["dlq.>"] },
      { legacy: [], core: ["athlete-ally.>", "sleep.*"], vendor: ["vendor.>"], dlq: ["dlq.>"] },
      { legacy: [], core: ["athlete-ally.>", "sleep.*"], vendor: ["vendor.>"], dlq: ["dlq.>"] },
    ]);
    expect(publishedSubjects()).toEqual(["athlete-ally.>", "sleep.*", "vendor.>"]);
  });

  it("permissions come from it: ingest publishes what the streams capture, normalize reads its durables and writes their dead letters", () => {
    expect(user(CATALOGUE, "ingest").publish).toEqual(["athlete-ally.>", "sleep.*", "vendor.>"]);
    expect(user(CATALOGUE, "normalize").publish).toEqual([
      "$JS.API.CONSUMER.INFO.*.normalize-hrv-durable",
      "$JS.API.CONSUMER.MSG.NEXT.*.normalize-hrv-durable",
      "$JS.ACK.*.normalize-hrv-durable.>",
      "$JS.API.CONSUMER.INFO.*.normalize-oura",
      "$JS.API.CONSUMER.MSG.NEXT.*.normalize-oura",
      "$JS.ACK.*.normalize-oura.>",
      "$JS.API.STREAM.INFO.*",
      "$JS.API.INFO",
      "dlq.normalize.hrv.raw-received",
      "dlq.normalize.hrv.raw-received.>",
      "dlq.normalize.oura",
      "dlq.normalize.oura.>",
    ]);
  });

  it("a durable's filter that no stream captures is refused, naming its key", () => {
    expect(() => parseStackConfig(raw({ hrvConsumer: { filterSubject: "athlete.hrv" } }))).toThrow(StackConfigError);
    expect(() => parseStackConfig(raw({ hrvConsumer: { filterSubject: "athlete.hrv" } }))).toThrow(/event-bus:hrvConsumer.filterSubject: expected a subject that a stream captures \("athlete.hrv" is inside none of/);
  });
});

describe("catalogue - one edit", () => {
  it("adding a consumer: its config key, its durable in each phase, its binding and its permissions follow", () => {
    const garmin = { ...CATALOGUE.consumers[1], key: "garmin", resource: "garmin", durable: "normalize-garmin", filterSubject: "vendor.garmin.>", dlqSubject: "dlq.normalize.garmin" };
    const catalogue: Catalogue = { ...CATALOGUE, consumers: [...CATALOGUE.consumers, garmin] };

    const config = parseStackConfig(raw({ migrationPhase: 1, garminConsumer: { maxDeliver: 3 } }), [], catalogue);
    expect(config.garminConsumer).toMatchObject({ durable: "normalize-garmin", maxDeliver: 3, ackWait: "60s" });
    const t = computeTopology(config, catalogue);
    expect(t.consumers.map((c) => [c.resourceName, c.config.stream, c.config.durableName, c.config.maxDeliver])).toEqual([
      ["consumer-hrv", "ATHLETE_ALLY_EVENTS", "normalize-hrv-durable", 5],
      ["consumer-oura", "AA_VENDOR_HOT", "normalize-oura", 5],
      ["consumer-garmin", "AA_VENDOR_HOT", "normalize-garmin", 3],
    ]);
    expect(t.bindings).toEqual({ hrv: "ATHLETE_ALLY_EVENTS", vendor: "AA_VENDOR_HOT", garmin: "AA_VENDOR_HOT" });
    // Before phase 1 no stream stores Garmin's webhooks: no durable yet, so no service binds one.
    const phase0 = computeTopology(parseStackConfig(raw({ migrationPhase: 0, mode: "single" }), [], catalogue), catalogue);
    expect(phase0.consumers.map((c) => c.config.durableName)).toEqual(["normalize-hrv-durable", "normalize-oura"]);
    expect(phase0.bindings).toEqual({ hrv: "ATHLETE_ALLY_EVENTS", vendor: "ATHLETE_ALLY_EVENTS" });
    const normalize = user(catalogue, "normalize").publish;
    expect(normalize).toEqual(expect.arrayContaining(["$JS.API.CONSUMER.MSG.NEXT.*.normalize-garmin", "$JS.ACK.*.normalize-garmin.>", "dlq.normalize.garmin"]));
    // The standard catalogue knows nothing of it.
    expect(() => parseStackConfig(raw({ garminConsumer: {} }))).toThrow(/event-bus:garminConsumer: unknown key "garminConsumer"/);
  });

  it("moving a subject: sleep.* to the vendor stream in phase 1 changes each phase's streams and keeps every subject owned once", () => {
    const catalogue: Catalogue = { ...CATALOGUE, moves: CATALOGUE.moves.map((m) => (m.legacy === "sleep.*" ? { ...m, to: "vendor" as const, phase: 1 as const } : m)) };
    expect(subjectsByPhase(1, catalogue)).toEqual({ legacy: ["athlete-ally.>"], core: [], vendor: ["vendor.>", "sleep.*"], dlq: ["dlq.>"] });
    expect(subjectsByPhase(2, catalogue)).toEqual({ legacy: [], core: ["athlete-ally.>"], vendor: ["vendor.>", "sleep.*"], dlq: ["dlq.>"] });
    for (const phase of PHASES) {
      const t = computeTopology(parseStackConfig(raw({ migrationPhase: phase, mode: phase === 0 ? "single" : "multi" }), [], catalogue), catalogue);
      expect(findCollisions(t.streams.map((s) => ({ owner: s.config.name, subjects: s.config.subjects ?? [s.config.name] })))).toEqual([]);
      for (const subject of ["athlete-ally.hrv.raw-received", "sleep.night", "vendor.oura.sleep", "dlq.x"]) {
        const owners = t.streams.filter((s) => s.config.subjects && coveredBy(subject, s.config.subjects)).map((s) => s.config.name);
        expect({ phase, subject, owners: owners.length }).toEqual({ phase, subject, owners: 1 });
      }
    }
    // Ingest may still publish every subject.
    expect(user(catalogue, "ingest").publish).toEqual(["athlete-ally.>", "sleep.*", "vendor.>"]);
  });
});
