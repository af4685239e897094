import * as pulumi from "@pulumi/pulumi";
import { ENVIRONMENTS, parseStackConfig, PHASES, readStackConfig, StackConfigError } from "../../components/config/stack-config";
import { coveredBy, findCollisions } from "../../components/jetstream/subjects";
import { computeTopology, subjectsByPhase } from "../../components/topology/topology";

const config = (extra: Record<string, unknown> = {}) => parseStackConfig({ environment: "staging", migrationPhase: 3, nats: { servers: ["nats://127.0.0.1:4222"] }, ...extra });
const LEGACY_SUBJECTS = ["athlete-ally.>", "vendor.oura.>", "sleep.*"];

describe("topology - the seeds' values", () => {
  it("phase 0: the legacy stream as the seeds describe it, the DLQ added, hot streams created ahead with no subjects", () => {
    const t = computeTopology(config({ migrationPhase: 0, mode: "single" }));
    const byName = Object.fromEntries(t.streams.map((s) => [s.config.name, s.config]));
    expect(byName.ATHLETE_ALLY_EVENTS).toMatchObject({ subjects: LEGACY_SUBJECTS, maxAge: "24h", replicas: 1 });
    expect(byName.AA_DLQ).toMatchObject({ subjects: ["dlq.>"], maxAge: "14d" });
    expect(byName.AA_CORE_HOT.subjects).toBeUndefined();
    expect(byName.AA_VENDOR_HOT.subjects).toBeUndefined();
    expect(t.bindings).toEqual({ hrv: "ATHLETE_ALLY_EVENTS", vendor: "ATHLETE_ALLY_EVENTS" });
  });

  it("phase 3: the three streams of the target state, the legacy stream retired", () => {
    const t = computeTopology(config({ migrationPhase: 3 }));
    expect(t.streams.map((s) => [s.config.name, s.config.subjects, s.config.maxAge])).toEqual([
      ["AA_CORE_HOT", ["athlete-ally.>", "sleep.*"], "48h"],
      ["AA_VENDOR_HOT", ["vendor.>"], "48h"],
      ["AA_DLQ", ["dlq.>"], "14d"],
    ]);
    expect(t.bindings).toEqual({ hrv: "AA_CORE_HOT", vendor: "AA_VENDOR_HOT" });
  });

  it("normalize-hrv-durable exactly as the seeds give it", () => {
    const hrv = computeTopology(config()).consumers.find((c) => c.config.stream === "AA_CORE_HOT")!;
    expect(hrv.config).toEqual({
      stream: "AA_CORE_HOT",
      durableName: "normalize-hrv-durable",
      filterSubject: "athlete-ally.hrv.raw-received",
      ackPolicy: "explicit",
      deliverPolicy: "all",
      maxDeliver: 5,
      ackWait: "60s",
      maxAckPending: 1000,
      replicas: 1,
    });
    expect(hrv.claimSubject).toBe("athlete-ally.>");
  });

  it("names follow the STREAM_*_NAME overrides", () => {
    const t = computeTopology(config({ streams: { core: "CORE2", vendor: "VENDOR2", dlq: "DLQ2", legacy: "OLD" }, migrationPhase: 1 }));
    expect(t.streams.map((s) => s.config.name)).toEqual(["OLD", "CORE2", "VENDOR2", "DLQ2"]);
    expect(t.consumers.map((c) => c.config.stream)).toEqual(["OLD", "VENDOR2"]);
  });
});

describe("topology - every phase x mode x environment", () => {
  const cases = ENVIRONMENTS.flatMap((environment) => PHASES.flatMap((migrationPhase) => (["single", "multi"] as const).map((mode) => ({ environment, migrationPhase, mode }))));

  it.each(cases)("$environment, phase $migrationPhase, mode $mode", ({ environment, migrationPhase, mode }) => {
    const raw = { environment, migrationPhase, mode, nats: { servers: ["nats://127.0.0.1:4222"] } };
    if (mode === "single" && migrationPhase > 0) {
      expect(() => parseStackConfig(raw)).toThrow(/event-bus:mode: expected mode "multi" from migrationPhase 1 on/);
      return;
    }
    const t = computeTopology(parseStackConfig(raw));
    // No two streams ever collide, so no step can meet the server's overlap error.
    expect(findCollisions(t.streams.map((s) => ({ owner: s.config.name, subjects: s.config.subjects ?? [s.config.name] })))).toEqual([]);
    // Every subject of the bus has exactly one stream capturing it (other vendors only once vendor.> moved).
    for (const subject of [...LEGACY_SUBJECTS, "vendor.garmin.sleep", "dlq.normalize.hrv.raw-received"]) {
      const owners = t.streams.filter((s) => s.config.subjects && coveredBy(subject, s.config.subjects));
      const expected = subject === "vendor.garmin.sleep" && migrationPhase === 0 ? 0 : 1;
      expect({ subject, owners: owners.length }).toEqual({ subject, owners: expected });
    }
    const replicas = environment === "production" ? 3 : 1;
    for (const s of t.streams) expect(s.config.replicas).toBe(replicas);
    for (const c of t.consumers) expect(c.config.replicas).toBe(replicas);
    for (const s of t.streams) expect(s.protect).toBe(environment === "production" && !(s.role === "legacy" && migrationPhase >= 2));
    // Each durable exists once, on the stream that captures its filter: where a service binds in
    // either mode (multi tries the hot stream first, so a hot durable must mean hot traffic).
    expect(t.consumers.map((c) => c.config.durableName)).toEqual(["normalize-hrv-durable", "normalize-oura"]);
    for (const c of t.consumers) {
      const stream = t.streams.find((s) => s.config.name === c.config.stream)!;
      expect(coveredBy(c.config.filterSubject!, stream.config.subjects ?? [])).toBe(true);
      expect(stream.config.subjects).toContain(c.claimSubject);
    }
    expect(t.bindings).toEqual({ hrv: migrationPhase >= 2 ? "AA_CORE_HOT" : "ATHLETE_ALLY_EVENTS", vendor: migrationPhase >= 1 ? "AA_VENDOR_HOT" : "ATHLETE_ALLY_EVENTS" });
  });

  it("subjects move one group per phase and none is ever captured twice or dropped", () => {
    const all = PHASES.map((p) => subjectsByPhase(p));
    expect(all.map((s) => s.legacy.length)).toEqual([3, 2, 0, 0]);
    expect(all.map((s) => s.vendor)).toEqual([[], ["vendor.>"], ["vendor.>"], ["vendor.>"]]);
    expect(all.map((s) => s.core)).toEqual([[], [], ["athlete-ally.>", "sleep.*"], ["athlete-ally.>", "sleep.*"]]);
  });
});

describe("stack config - clear errors naming the key", () => {
  it.each([
    [{ environment: "prod" }, /event-bus:environment: expected environment to be one of local, staging, production/],
    [{ environment: "staging", migrationPhase: 4 }, /event-bus:migrationPhase: expected migrationPhase 0, 1, 2 or 3/],
    [{ environment: "staging", mode: "dual" }, /event-bus:mode: expected mode "single" or "multi"/],
    [{ environment: "staging", replicas: 9 }, /event-bus:replicas: expected replicas from 1 to 5/],
    [{ environment: "production", replicas: 1 }, /event-bus:replicas: expected at least 3 replicas in production/],
    [{ environment: "staging", retention: { hotMaxAge: "2 days" } }, /event-bus:retention.hotMaxAge: "2 days": expected a duration/],
    [{ environment: "staging", streams: { core: "AA.CORE" } }, /event-bus:streams.core: expected a core stream name of letters/],
    [{ environment: "staging", streams: { core: "SAME", vendor: "SAME" } }, /event-bus:streams.vendor: expected a name different from streams.core/],
    [{ environment: "staging", hrvConsumer: { maxDeliver: 0 } }, /event-bus:hrvConsumer.maxDeliver: expected maxDeliver of at least 1/],
    [{ environment: "staging", strams: {} }, /event-bus:strams: unknown key "strams"/],
    [{ environment: "staging", migrationPhase: undefined }, /event-bus:migrationPhase: expected migrationPhase \(0, 1, 2 or 3\) in the staging stack file: its phase is never assumed/],
    [{ environment: "production", migrationPhase: undefined }, /event-bus:migrationPhase: expected migrationPhase \(0, 1, 2 or 3\) in the production stack file/],
    [{ environment: "staging", nats: { servers: [] } }, /event-bus:nats.servers: expected at least one server URL/],
  ])("%j", (extra, message) => {
    expect(() => parseStackConfig({ nats: { servers: ["nats://127.0.0.1:4222"] }, ...extra })).toThrow(StackConfigError);
    expect(() => parseStackConfig({ nats: { servers: ["nats://127.0.0.1:4222"] }, ...extra })).toThrow(message);
  });

  it("reads numbers given as strings, as `pulumi config set` stores them", () => {
    expect(parseStackConfig({ environment: "staging", migrationPhase: "2", replicas: "1", nats: { servers: ["nats://x:4222"] } })).toMatchObject({ migrationPhase: 2, replicas: 1 });
  });
});

describe("stack config - read from `pulumi config` as the program reads it", () => {
  const read = (all: Record<string, string>, secret: string[] = []) => {
    pulumi.runtime.setAllConfig(all, secret);
    return readStackConfig(new pulumi.Config("event-bus"), pulumi.runtime.allConfig());
  };
  const base = { "event-bus:environment": "staging", "event-bus:migrationPhase": "1", "event-bus:mode": "multi", "event-bus:nats": '{"servers":["nats://nats:4222"]}' };

  it("fails on a key it does not know, naming it: a misspelt phase is never read as phase 3", () => {
    expect(() => read({ ...base, "event-bus:migrationphase": "1" })).toThrow(/event-bus:migrationphase: unknown key "migrationphase" \(check its spelling/);
    expect(() => read({ ...base, "event-bus:adoptExisiting": "true" })).toThrow(/event-bus:adoptExisiting: unknown key/);
    const { "event-bus:migrationPhase": _phase, ...noPhase } = base;
    expect(() => read({ ...noPhase, "event-bus:migrationphase": "1" })).toThrow(/event-bus:migrationPhase: expected migrationPhase .* in the staging stack file/);
    // Other packages' keys are theirs.
    expect(read({ ...base, "kubernetes:context": "x" }).config.migrationPhase).toBe(1);
  });

  it.each([
    ["natsPassword", "s3cret-pass", { "event-bus:nats": '{"servers":["nats://nats:4222"],"user":"admin"}' }],
    ["natsToken", "tok-123456", {}],
    ["natsCreds", "-----BEGIN NATS USER JWT-----\nx\n------END NATS USER JWT------", {}],
    ["natsNkeySeed", "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY", {}],
  ])("secret key %s is read as a Pulumi secret and never as plain config", async (key, value, extra) => {
    const { config, secrets } = read({ ...base, ...extra, [`event-bus:${key}`]: value }, [`event-bus:${key}`]);
    expect(Object.keys(secrets)).toEqual([key]);
    expect(await new Promise((r) => secrets[key as keyof typeof secrets]!.apply((v) => r(v)))).toBe(value);
    expect(JSON.stringify(config)).not.toContain(value);
  });
});
