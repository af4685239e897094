/**
 * Proves every update rule against the pinned server: a change we plan as an in-place update is
 * accepted by the server (and reads back with no difference), and a change we plan as a replace
 * is refused by it.
 */
import type { ConsumerConfigArgs } from "../../components/jetstream/consumer-args";
import type { StreamConfigArgs } from "../../components/jetstream/stream-args";
import { diffConsumer, diffConsumerWire, diffStream, diffStreamWire } from "../../components/jetstream/update-rules";
import { consumerToWire, streamToWire, type WireConsumerConfig, type WireStreamConfig } from "../../components/jetstream/wire";
import { applyUpdate } from "../../components/providers/consumer-provider";
import { addStream, openManager } from "../helpers/jetstream";
import { NatsCluster, startCluster } from "../helpers/nats-servers";

type StreamCase = [string, Partial<StreamConfigArgs>, Partial<StreamConfigArgs>, "update" | "replace"];

const STREAM_CASES: StreamCase[] = [
  ["subjects", {}, { subjects: ["rules.>", "more.>"] }, "update"],
  ["description", {}, { description: "changed" }, "update"],
  ["maxAge", {}, { maxAge: "1h" }, "update"],
  ["maxMsgs", {}, { maxMsgs: 10 }, "update"],
  ["maxBytes", {}, { maxBytes: 1_000_000 }, "update"],
  ["maxMsgSize", {}, { maxMsgSize: 1024 }, "update"],
  ["maxMsgsPerSubject", {}, { maxMsgsPerSubject: 5 }, "update"],
  ["maxConsumers", {}, { maxConsumers: 10 }, "update"],
  ["discard", {}, { discard: "new" }, "update"],
  ["discardNewPerSubject", {}, { discard: "new", maxMsgsPerSubject: 5, discardNewPerSubject: true }, "update"],
  ["duplicateWindow", {}, { duplicateWindow: "30s" }, "update"],
  ["allowRollup", {}, { allowRollup: true }, "update"],
  ["allowDirect", {}, { allowDirect: true }, "update"],
  ["compression", {}, { compression: "s2" }, "update"],
  ["metadata", {}, { metadata: { owner: "platform" } }, "update"],
  ["replicas 1 -> 3", { replicas: 1 }, { replicas: 3 }, "update"],
  ["replicas 3 -> 1", { replicas: 3 }, { replicas: 1 }, "update"],
  ["republish", {}, { republish: { src: "rules.>", dest: "copy.>" } }, "update"],
  ["sources", {}, { sources: [{ name: "OTHER" }] }, "update"],
  ["denyDelete false -> true", {}, { denyDelete: true }, "update"],
  ["denyPurge false -> true", {}, { denyPurge: true }, "update"],
  ["sealed false -> true", {}, { sealed: true }, "update"],
  ["retention limits -> interest", {}, { retention: "interest" }, "update"],
  ["retention interest -> limits", { retention: "interest" }, { retention: "limits" }, "update"],
  ["allowMsgTtl false -> true", {}, { allowMsgTtl: true }, "update"],
  ["storage", {}, { storage: "memory" }, "replace"],
  ["retention limits -> workqueue", {}, { retention: "workqueue" }, "replace"],
  ["retention workqueue -> limits", { retention: "workqueue" }, { retention: "limits" }, "replace"],
  ["denyDelete true -> false", { denyDelete: true }, { denyDelete: false }, "replace"],
  ["denyPurge true -> false", { denyPurge: true }, { denyPurge: false }, "replace"],
  ["sealed true -> false", { sealed: true }, { sealed: false }, "replace"],
  ["allowMsgTtl true -> false", { allowMsgTtl: true }, { allowMsgTtl: false }, "replace"],
  // The fields the server gained in 2.10 to 2.12.
  ["subjectTransform added", {}, { subjectTransform: { src: "rules.>", dest: "moved.>" } }, "update"],
  ["subjectTransform removed", { subjectTransform: { src: "rules.>", dest: "moved.>" } }, {}, "update"],
  ["consumerLimits", {}, { consumerLimits: { inactiveThreshold: "1h", maxAckPending: 100 } }, "update"],
  ["consumerLimits removed", { consumerLimits: { maxAckPending: 100 } }, {}, "update"],
  ["subjectDeleteMarkerTtl", { allowMsgTtl: true, allowRollup: true }, { allowMsgTtl: true, allowRollup: true, subjectDeleteMarkerTtl: "1m" }, "update"],
  ["subjectDeleteMarkerTtl removed", { allowMsgTtl: true, allowRollup: true, subjectDeleteMarkerTtl: "1m" }, { allowMsgTtl: true, allowRollup: true }, "update"],
  ["allowMsgCounter false -> true", {}, { allowMsgCounter: true }, "replace"],
  ["allowMsgCounter true -> false", { allowMsgCounter: true }, {}, "replace"],
  ["allowAtomic false -> true", {}, { allowAtomic: true }, "update"],
  ["allowAtomic true -> false", { allowAtomic: true }, {}, "update"],
  ["allowMsgSchedules false -> true", { allowRollup: true }, { allowRollup: true, allowMsgSchedules: true }, "update"],
  ["allowMsgSchedules true -> false", { allowRollup: true, allowMsgSchedules: true }, { allowRollup: true }, "replace"],
  ["persistMode default -> async", {}, { persistMode: "async" }, "replace"],
  ["persistMode async -> default", { persistMode: "async" }, { persistMode: "default" }, "replace"],
  ["allowBatched false -> true", {}, { allowBatched: true }, "update"],
  ["allowBatched true -> false", { allowBatched: true }, {}, "update"],
];

type ConsumerCase = [string, Partial<ConsumerConfigArgs>, Partial<ConsumerConfigArgs>, "update" | "replace"];

const CONSUMER_CASES: ConsumerCase[] = [
  ["description", {}, { description: "changed" }, "update"],
  ["ackWait", {}, { ackWait: "90s" }, "update"],
  ["maxDeliver", {}, { maxDeliver: 3 }, "update"],
  ["maxAckPending", {}, { maxAckPending: 10 }, "update"],
  ["backoff", { maxDeliver: 5 }, { maxDeliver: 5, backoff: ["1s", "5s"] }, "update"],
  ["filterSubject", { filterSubject: "rules.a" }, { filterSubject: "rules.b" }, "update"],
  ["filterSubjects", { filterSubject: "rules.a" }, { filterSubjects: ["rules.a", "rules.b"] }, "update"],
  ["sampleFreq", {}, { sampleFreq: "50%" }, "update"],
  ["inactiveThreshold", {}, { inactiveThreshold: "1h" }, "update"],
  ["headersOnly", {}, { headersOnly: true }, "update"],
  ["metadata", {}, { metadata: { team: "platform" } }, "update"],
  ["maxBatch", {}, { maxBatch: 100 }, "update"],
  ["maxExpires", {}, { maxExpires: "30s" }, "update"],
  ["maxBytes", {}, { maxBytes: 1_000_000 }, "update"],
  ["replicas 3 -> 1", { replicas: 3 }, { replicas: 1 }, "update"],
  ["push deliverSubject", { deliverSubject: "push.a" }, { deliverSubject: "push.b" }, "update"],
  ["push deliverGroup", { deliverSubject: "push.a" }, { deliverSubject: "push.a", deliverGroup: "workers" }, "update"],
  ["push rateLimitBps", { deliverSubject: "push.a" }, { deliverSubject: "push.a", rateLimitBps: 1_000_000 }, "update"],
  ["deliverPolicy", {}, { deliverPolicy: "new" }, "replace"],
  ["optStartSeq", { deliverPolicy: "byStartSequence", optStartSeq: 1 }, { deliverPolicy: "byStartSequence", optStartSeq: 2 }, "replace"],
  ["optStartTime", { deliverPolicy: "byStartTime", optStartTime: "2026-01-01T00:00:00Z" }, { deliverPolicy: "byStartTime", optStartTime: "2026-02-01T00:00:00Z" }, "replace"],
  ["ackPolicy", {}, { ackPolicy: "all" }, "replace"],
  ["replayPolicy", {}, { replayPolicy: "original" }, "replace"],
  ["memoryStorage", {}, { memoryStorage: true }, "replace"],
  ["maxWaiting", {}, { maxWaiting: 10 }, "replace"],
  ["pull -> push", {}, { deliverSubject: "push.a" }, "replace"],
  ["push -> pull", { deliverSubject: "push.a" }, {}, "replace"],
  ["push idleHeartbeat", { deliverSubject: "push.a" }, { deliverSubject: "push.a", idleHeartbeat: "5s" }, "replace"],
  ["push flowControl", { deliverSubject: "push.a", idleHeartbeat: "5s" }, { deliverSubject: "push.a", idleHeartbeat: "5s", flowControl: true }, "replace"],
  // The fields the server gained in 2.11 and 2.12.
  ["pauseUntil", {}, { pauseUntil: "2031-01-01T00:00:00Z" }, "update"],
  ["pauseUntil removed", { pauseUntil: "2031-01-01T00:00:00+01:00" }, {}, "update"],
  ["priority groups added", {}, { priorityPolicy: "overflow", priorityGroups: ["jobs"] }, "update"],
  ["priorityGroups", { priorityPolicy: "overflow", priorityGroups: ["jobs"] }, { priorityPolicy: "overflow", priorityGroups: ["jobs", "urgent"] }, "update"],
  ["priorityPolicy", { priorityPolicy: "overflow", priorityGroups: ["jobs"] }, { priorityPolicy: "prioritized", priorityGroups: ["jobs"] }, "update"],
  ["priorityTimeout", { priorityPolicy: "pinnedClient", priorityGroups: ["jobs"] }, { priorityPolicy: "pinnedClient", priorityGroups: ["jobs"], priorityTimeout: "30s" }, "update"],
];

describe("update rules - proven against the pinned server (3-node cluster)", () => {
  let cluster: NatsCluster;
  let admin: Awaited<ReturnType<typeof openManager>>;
  beforeAll(async () => {
    cluster = await startCluster(3);
    admin = await openManager(cluster.urls);
    await addStream(admin.jsm, { name: "OTHER", subjects: ["other.>"] });
    await addStream(admin.jsm, { name: "OTHER2", subjects: ["other2.>"] });
  });
  afterAll(async () => {
    await admin?.close();
    await cluster?.stop();
  });

  it.each(STREAM_CASES.map(([title, from, to, expected]) => ({ title, from, to, expected })))("stream - $title is planned as $expected and the server agrees", async ({ from, to, expected }) => {
    const name = `RULES_${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const base: StreamConfigArgs = { name, subjects: ["rules.>"] };
    const olds = { ...base, ...from } as StreamConfigArgs;
    const news = { ...base, ...to } as StreamConfigArgs;
    const planned = diffStream(olds, news);
    expect(planned.changes.length).toBeGreaterThan(0);
    expect(planned.changes.some((c) => c.kind === "replace") ? "replace" : "update").toBe(expected);

    // The server refuses to create a sealed stream: seal it after creating it.
    await addStream(admin.jsm, streamToWire({ ...olds, sealed: false }));
    if (olds.sealed) await admin.jsm.streams.update(name, streamToWire(olds));
    try {
      const result = await admin.jsm.streams.update(name, streamToWire(news)).then(
        (si) => ({ accepted: true as const, config: si.config as WireStreamConfig }),
        (e: Error) => ({ accepted: false as const, error: e.message }),
      );
      expect(result.accepted ? "update" : `replace (${"error" in result ? result.error : ""})`).toMatch(expected === "update" ? /^update$/ : /^replace/);
      if (result.accepted) expect(diffStreamWire(result.config, streamToWire(news)).changes).toEqual([]);
    } finally {
      await admin.jsm.streams.delete(name);
    }
  });

  it.each([
    { title: "mirror -> another origin", from: { mirror: { name: "OTHER" } }, to: { mirror: { name: "OTHER2" } }, expected: "replace" },
    { title: "plain stream -> mirror", from: {}, to: { mirror: { name: "OTHER" } }, expected: "replace" },
    { title: "mirror removed (promotion)", from: { mirror: { name: "OTHER" } }, to: {}, expected: "update" },
  ] as Array<{ title: string; from: Partial<StreamConfigArgs>; to: Partial<StreamConfigArgs>; expected: "update" | "replace" }>)(
    "stream - $title is planned as $expected and the server agrees",
    async ({ from, to, expected }) => {
      const name = `MIRROR_${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
      const olds = { name, ...from } as StreamConfigArgs;
      const news = { name, ...to } as StreamConfigArgs;
      const planned = diffStream(olds, news);
      expect(planned.changes.some((c) => c.kind === "replace") ? "replace" : "update").toBe(expected);
      await addStream(admin.jsm, streamToWire(olds));
      try {
        const accepted = await admin.jsm.streams.update(name, streamToWire(news)).then(
          () => true,
          () => false,
        );
        expect(accepted ? "update" : "replace").toBe(expected);
      } finally {
        await admin.jsm.streams.delete(name);
      }
    },
  );

  it("stream - firstSeq is planned as a replace: the server takes a new value but the stream stays where it began", async () => {
    const name = `FIRST_${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const olds: StreamConfigArgs = { name, subjects: ["first.>"], firstSeq: 100 };
    const news: StreamConfigArgs = { ...olds, firstSeq: 500 };
    expect(diffStream(olds, news).changes).toEqual([expect.objectContaining({ field: "firstSeq", kind: "replace" })]);
    await addStream(admin.jsm, streamToWire(olds));
    try {
      expect((await admin.jsm.streams.info(name)).state.first_seq).toBe(100);
      const updated = await admin.jsm.streams.update(name, streamToWire(news));
      expect(updated.config.first_seq).toBe(500);
      expect(updated.state.first_seq).toBe(100);
    } finally {
      await admin.jsm.streams.delete(name);
    }
  });

  it.each(CONSUMER_CASES.map(([title, from, to, expected]) => ({ title, from, to, expected })))("consumer - $title is planned as $expected and the server agrees", async ({ from, to, expected }) => {
    const stream = `CRULES_${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    await addStream(admin.jsm, { name: stream, subjects: [`${stream}.>`.toLowerCase(), "rules.*"], num_replicas: 3 });
    try {
      const base: ConsumerConfigArgs = { stream, durableName: "c1" };
      const olds = { ...base, ...from } as ConsumerConfigArgs;
      const news = { ...base, ...to } as ConsumerConfigArgs;
      const planned = diffConsumer(olds, news);
      expect(planned.changes.length).toBeGreaterThan(0);
      expect(planned.changes.some((c) => c.kind === "replace") ? "replace" : "update").toBe(expected);

      await admin.jsm.consumers.add(stream, consumerToWire(olds));
      // As the provider applies an update: the configuration, then a pause through the pause API.
      const result = await applyUpdate(admin.jsm, stream, "c1", consumerToWire(news), { servers: cluster.urls }).then(
        (ci) => ({ accepted: true as const, config: ci.config as WireConsumerConfig }),
        (e: Error) => ({ accepted: false as const, error: e.message }),
      );
      expect(result.accepted ? "update" : `replace (${"error" in result ? result.error : ""})`).toMatch(expected === "update" ? /^update$/ : /^replace/);
      if (result.accepted) expect(diffConsumerWire(result.config, consumerToWire(news)).changes).toEqual([]);
    } finally {
      await admin.jsm.streams.delete(stream);
    }
  });
});
