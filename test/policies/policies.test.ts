/** Each policy on its own: the healthy stack passes, and each one-field change fails with a message that says why. */
import { servicesDoNotOwnTopology } from "../../policies/event-bus-services-do-not-own-topology";
import { consumerFilterInStream } from "../../policies/jetstream-consumer-filter-in-stream";
import { deadLetters } from "../../policies/jetstream-dead-letters";
import { noSubjectOverlap } from "../../policies/jetstream-no-subject-overlap";
import { productionStreamsProtected } from "../../policies/jetstream-production-streams-protected";
import { replicasByEnvironment } from "../../policies/jetstream-replicas-by-environment";
import { retention } from "../../policies/jetstream-retention";
import { noSecretNames } from "../../policies/kubernetes-no-secret-names";
import { noSecretValues } from "../../policies/kubernetes-no-secret-values";
import { POLICIES } from "../../policies/all";
import { resource, stackFixture, violations } from "../helpers/policy-fixtures";

const deployment = (env: Array<Record<string, unknown>>) =>
  resource("kubernetes:apps/v1:Deployment", "normalize", { metadata: { name: "normalize-service" }, spec: { template: { spec: { containers: [{ name: "normalize-service", env }] } } } });

describe("policies - the healthy production stack passes every one", () => {
  it.each(POLICIES.map((p) => [p.name, p] as const))("%s", async (_name, policy) => {
    expect(await violations(policy, stackFixture())).toEqual([]);
  });

  it("the pack has one policy per file, with kebab-case names, descriptions and explicit enforcement", () => {
    for (const p of POLICIES) {
      expect(p.name).toMatch(/^(jetstream|event-bus|kubernetes)-[a-z-]+$/);
      expect(p.description!.length).toBeGreaterThan(20);
      expect(["mandatory", "advisory"]).toContain(p.enforcementLevel);
    }
  });
});

describe("policy jetstream-no-subject-overlap", () => {
  it("a second stream capturing vendor.oura.> next to vendor.>", async () => {
    const extra = [resource("pulumi-nodejs:dynamic/event-bus:Stream", "stream-legacy", { name: "ATHLETE_ALLY_EVENTS", subjects: ["vendor.oura.>"], replicas: 3, maxAge: "24h" }, true)];
    expect(await violations(noSubjectOverlap, stackFixture({ extra }))).toEqual([
      'streams AA_VENDOR_HOT and ATHLETE_ALLY_EVENTS overlap: "vendor.>" (AA_VENDOR_HOT) collides with "vendor.oura.>" (ATHLETE_ALLY_EVENTS); the server would refuse the second (err_code 10065)',
    ]);
  });
  it("a stream listing overlapping subjects", async () => {
    expect(await violations(noSubjectOverlap, stackFixture({ streams: { core: { subjects: ["athlete-ally.>", "athlete-ally.hrv.*"] } } }))).toEqual([
      'stream AA_CORE_HOT lists overlapping subjects "athlete-ally.>" and "athlete-ally.hrv.*"',
    ]);
  });
  it("a stream without subjects counts as capturing its own name", async () => {
    const extra = [resource("pulumi-nodejs:dynamic/event-bus:Stream", "stream-x", { name: "X", subjects: [">"] }), resource("pulumi-nodejs:dynamic/event-bus:Stream", "stream-y", { name: "Y" })];
    const found = await violations(noSubjectOverlap, stackFixture({ extra }));
    expect(found).toContain('streams X and Y overlap: ">" (X) collides with "Y" (Y); the server would refuse the second (err_code 10065)');
  });
});

describe("policy jetstream-consumer-filter-in-stream", () => {
  it("a filter outside its stream", async () => {
    expect(await violations(consumerFilterInStream, stackFixture({ consumers: { hrv: { filterSubject: "vendor.oura.hrv" } } }))).toEqual([
      'consumer normalize-hrv-durable: filter "vendor.oura.hrv" is outside stream AA_CORE_HOT\'s subjects [athlete-ally.>, sleep.*]; it would never receive a message',
    ]);
  });
  it("a drain-only consumer may keep a filter its stream no longer captures", async () => {
    expect(await violations(consumerFilterInStream, stackFixture({ consumers: { hrv: { filterSubject: "vendor.oura.hrv", drainOnly: true } } }))).toEqual([]);
  });
  it("overlapping filters", async () => {
    expect(await violations(consumerFilterInStream, stackFixture({ consumers: { hrv: { filterSubject: undefined, filterSubjects: ["athlete-ally.>", "athlete-ally.hrv.raw-received"] } } }))).toEqual([
      'consumer normalize-hrv-durable: filters "athlete-ally.>" and "athlete-ally.hrv.raw-received" overlap',
    ]);
  });
  it("a stream the stack does not define", async () => {
    expect(await violations(consumerFilterInStream, stackFixture({ consumers: { hrv: { stream: "NOPE" } } }))).toEqual(["consumer normalize-hrv-durable reads stream NOPE, which this stack does not define"]);
  });
});

describe("policy jetstream-replicas-by-environment", () => {
  it("replicas 1 in production", async () => {
    expect(await violations(replicasByEnvironment, stackFixture({ streams: { core: { replicas: 1 } }, consumers: { hrv: { replicas: 1 } } }))).toEqual([
      "stream AA_CORE_HOT: production streams need 3 replicas, it has 1",
    ]);
  });
  it("replicas 1 is fine in staging", async () => {
    expect(await violations(replicasByEnvironment, stackFixture({ stack: "staging", streams: { core: { replicas: 1 } }, consumers: { hrv: { replicas: 1 } } }))).toEqual([]);
  });
  it("more replicas than the cluster has servers, and an even count", async () => {
    const found = await violations(replicasByEnvironment, stackFixture({ stack: "staging", streams: { core: { replicas: 4 } } }));
    expect(found).toEqual([
      "stream AA_CORE_HOT: replicas 4 is even; an odd count keeps a quorum through the same failures with fewer copies",
      "stream AA_CORE_HOT: replicas 4 exceeds the cluster's 3 servers",
    ]);
  });
  it("a consumer above its stream", async () => {
    expect(await violations(replicasByEnvironment, stackFixture({ stack: "staging", streams: { core: { replicas: 1 } }, consumers: { hrv: { replicas: 3 } } }))).toEqual([
      "consumer normalize-hrv-durable: replicas 3 exceeds stream AA_CORE_HOT's 1 (err_code 10126)",
    ]);
  });
  it("the production replica count is configurable", async () => {
    expect(await violations(replicasByEnvironment, stackFixture(), { productionReplicas: 5 })).toHaveLength(3);
  });
});

describe("policy jetstream-dead-letters", () => {
  it("no stream captures the DLQ subject", async () => {
    expect(await violations(deadLetters, stackFixture({ streams: { dlq: { subjects: ["deadletters.>"] } } }))).toEqual([
      'consumer normalize-hrv-durable gives up after 5 deliveries, but no stream captures its dead-letter subject "dlq.normalize.hrv.raw-received"',
      'consumer normalize-oura gives up after 5 deliveries, but no stream captures its dead-letter subject "dlq.normalize.oura"',
    ]);
  });
  it("a consumer without a max-deliver limit needs none", async () => {
    expect(await violations(deadLetters, stackFixture({ streams: { dlq: { subjects: ["deadletters.>"] } }, consumers: { hrv: { maxDeliver: -1 }, oura: { maxDeliver: -1 } } }))).toEqual([]);
  });
});

describe("policy jetstream-retention", () => {
  it("a hot stream without max age", async () => {
    expect(await violations(retention, stackFixture({ streams: { vendor: { maxAge: "0" } } }))).toEqual(["stream AA_VENDOR_HOT has no maxAge: a hot stream must age its messages out"]);
  });
  it("a DLQ keeping dead letters only 3 days", async () => {
    expect(await violations(retention, stackFixture({ streams: { dlq: { maxAge: "3d" } } }))).toEqual(["DLQ stream AA_DLQ keeps messages 3d; expected at least 7d"]);
  });
  it("the DLQ minimum is configurable", async () => {
    expect(await violations(retention, stackFixture(), { minDlqAge: "30d" })).toEqual(["DLQ stream AA_DLQ keeps messages 14d; expected at least 30d"]);
  });
});

describe("policy event-bus-services-do-not-own-topology", () => {
  it.each(["FEATURE_SERVICE_MANAGES_STREAMS", "FEATURE_SERVICE_MANAGES_CONSUMERS"])("%s true", async (flag) => {
    expect(await violations(servicesDoNotOwnTopology, stackFixture({ flags: { [flag]: "true" } }))).toEqual([
      `ConfigMap event-bus-config: ${flag} is "true"; it must be "false", the stack owns streams and consumers`,
    ]);
  });
});

describe("policies kubernetes-no-secret-values and kubernetes-no-secret-names", () => {
  it("a password in a URL in the ConfigMap is refused, without repeating it", async () => {
    const found = await violations(noSecretValues, stackFixture({ flags: { NATS_URL: "nats://admin:hunter2@nats:4222" } }));
    expect(found).toEqual(["ConfigMap event-bus-config: NATS_URL holds a URL with a password in it; keep it in a Secret"]);
    expect(found.join()).not.toContain("hunter2");
  });
  it("an nkey seed in a plain env value is refused", async () => {
    const seed = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
    expect(await violations(noSecretValues, stackFixture({ extra: [deployment([{ name: "NATS_SEED", value: seed }])] }))).toEqual([
      "Deployment normalize-service container normalize-service env: NATS_SEED holds an nkey seed; keep it in a Secret",
    ]);
  });
  it("a plain value under a credential's name is flagged (advisory); one from a Secret is not", async () => {
    const extra = [deployment([{ name: "NATS_PASSWORD", value: "plain" }, { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "x", key: "y" } } }])];
    expect(await violations(noSecretNames, stackFixture({ extra }))).toEqual([
      "Deployment normalize-service container normalize-service env: NATS_PASSWORD is set in plain text; take it from a Secret (secretKeyRef)",
    ]);
    expect(noSecretNames.enforcementLevel).toBe("advisory");
  });
});

describe("policy jetstream-production-streams-protected", () => {
  it("an unprotected production stream", async () => {
    expect(await violations(productionStreamsProtected, stackFixture({ unprotected: ["core"] }))).toEqual(["production stream AA_CORE_HOT is not protected; set protect: true"]);
  });
  it("staging streams need no protection", async () => {
    expect(await violations(productionStreamsProtected, stackFixture({ stack: "staging", unprotected: ["core", "vendor", "dlq"] }))).toEqual([]);
  });
  it("the retiring legacy stream (capturing nothing) is excepted", async () => {
    const extra = [resource("pulumi-nodejs:dynamic/event-bus:Stream", "stream-legacy", { name: "ATHLETE_ALLY_EVENTS", replicas: 3, maxAge: "24h" }, false)];
    expect(await violations(productionStreamsProtected, stackFixture({ extra }))).toEqual([]);
  });
});
