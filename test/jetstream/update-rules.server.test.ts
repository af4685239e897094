/**
 * Proves every update rule against the pinned server: a change we plan as an in-place update is
 * accepted by the server (and reads back with no difference), and a change we plan as a replace
 * is refused by it for the reason the field table gives: the server's err_code and words
 * (server/errors.json) are the ones expected for that field, the table's reason speaks of the
 * same thing, and an err_code the reason cites is the server's.
 */
import type { ConsumerConfigArgs } from "../../components/jetstream/consumer-args";
import type { StreamConfigArgs } from "../../components/jetstream/stream-args";
import { diffConsumer, diffConsumerWire, diffStream, diffStreamWire, type FieldChange } from "../../components/jetstream/update-rules";
import { consumerToWire, streamToWire, type WireConsumerConfig, type WireStreamConfig } from "../../components/jetstream/wire";
import { errCodeOf } from "../../components/jetstream/client";
import { applyUpdate } from "../../components/providers/consumer-provider";
import { addStream, openManager } from "../helpers/jetstream";
import { NatsCluster, startCluster } from "../helpers/nats-servers";

/**
 * How the server refuses a change it can not make in place: its err_code, words its description
 * holds, and what both it and the field table's reason must name (so that a refusal for some other
 * cause, such as an invalid configuration, does not count as agreement).
 */
interface Refusal {
  errCode: number;
  description: string;
  names: RegExp;
}
const refused = (errCode: number, description: string, names: RegExp): Refusal => ({ errCode, description, names });

type Expected = "update" | Refusal;
const kindOf = (e: Expected) => (e === "update" ? "update" : "replace");

/** What the server answered to a change: accepted with its configuration, or refused with its err_code and words. */
type Answer<C> = { accepted: true; config: C } | { accepted: false; errCode: number | undefined; message: string };
function answerOf<C>(p: Promise<{ config: unknown }>): Promise<Answer<C>> {
  return p.then(
    (i) => ({ accepted: true as const, config: i.config as C }),
    (e: Error) => ({ accepted: false as const, errCode: errCodeOf(e), message: e.message }),
  );
}

/**
 * A planned replace against the server's answer: refused with the expected err_code and words; one
 * of the replacing changes gives the reason the server gave (a change of one field can change
 * others with it: unsealing also lifts deny-delete); every err_code a reason cites is the server's.
 */
function expectRefusedAsPlanned<C>(answer: Answer<C>, replaces: FieldChange[], expected: Refusal): void {
  expect(answer).toMatchObject({ accepted: false });
  if (answer.accepted) return;
  expect({ errCode: answer.errCode, message: answer.message }).toEqual({ errCode: expected.errCode, message: expect.stringContaining(expected.description) });
  expect(answer.message).toMatch(expected.names);
  expect(replaces.map((c) => c.reason)).toContainEqual(expect.stringMatching(expected.names));
  const cited = replaces.flatMap((c) => [.../err_code (\d+)/g[Symbol.matchAll](c.reason ?? "")].map((m) => `${c.field}: err_code ${m[1]}`));
  expect(cited).toEqual(cited.map(() => expect.stringMatching(new RegExp(`err_code ${answer.errCode}$`))));
}

type StreamCase = [string, Partial<StreamConfigArgs>, Partial<StreamConfigArgs>, Expected];

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
  ["storage", {}, { storage: "memory" }, refused(10052, "stream configuration update can not change storage type", /storage type/)],
  ["retention limits -> workqueue", {}, { retention: "workqueue" }, refused(10052, "stream configuration update can not change retention policy to/from workqueue", /retention.*workqueue/)],
  ["retention workqueue -> limits", { retention: "workqueue" }, { retention: "limits" }, refused(10052, "stream configuration update can not change retention policy to/from workqueue", /retention.*workqueue/)],
  ["denyDelete true -> false", { denyDelete: true }, { denyDelete: false }, refused(10052, "stream configuration update can not cancel deny message deletes", /cancel deny[- ](message )?delete/)],
  ["denyPurge true -> false", { denyPurge: true }, { denyPurge: false }, refused(10052, "stream configuration update can not cancel deny purge", /cancel deny[- ]purge/)],
  ["sealed true -> false", { sealed: true }, { sealed: false }, refused(10052, "stream configuration update can not unseal a sealed stream", /unseal/)],
  ["allowMsgTtl true -> false", { allowMsgTtl: true }, { allowMsgTtl: false }, refused(10052, "message TTL status can not be disabled", /TTL.* can not be disabled/)],
  // The fields the server gained in 2.10 to 2.12.
  ["subjectTransform added", {}, { subjectTransform: { src: "rules.>", dest: "moved.>" } }, "update"],
  ["subjectTransform removed", { subjectTransform: { src: "rules.>", dest: "moved.>" } }, {}, "update"],
  ["consumerLimits", {}, { consumerLimits: { inactiveThreshold: "1h", maxAckPending: 100 } }, "update"],
  ["consumerLimits removed", { consumerLimits: { maxAckPending: 100 } }, {}, "update"],
  ["subjectDeleteMarkerTtl", { allowMsgTtl: true, allowRollup: true }, { allowMsgTtl: true, allowRollup: true, subjectDeleteMarkerTtl: "1m" }, "update"],
  ["subjectDeleteMarkerTtl removed", { allowMsgTtl: true, allowRollup: true, subjectDeleteMarkerTtl: "1m" }, { allowMsgTtl: true, allowRollup: true }, "update"],
  ["allowMsgCounter false -> true", {}, { allowMsgCounter: true }, refused(10052, "stream configuration update can not change message counter setting", /message counter/)],
  ["allowMsgCounter true -> false", { allowMsgCounter: true }, {}, refused(10052, "stream configuration update can not change message counter setting", /message counter/)],
  ["allowAtomic false -> true", {}, { allowAtomic: true }, "update"],
  ["allowAtomic true -> false", { allowAtomic: true }, {}, "update"],
  ["allowMsgSchedules false -> true", { allowRollup: true }, { allowRollup: true, allowMsgSchedules: true }, "update"],
  ["allowMsgSchedules true -> false", { allowRollup: true, allowMsgSchedules: true }, { allowRollup: true }, refused(10052, "message schedules can not be disabled", /schedules can not be disabled/)],
  ["persistMode default -> async", {}, { persistMode: "async" }, refused(10052, "stream configuration update can not change persist mode", /persist mode/)],
  ["persistMode async -> default", { persistMode: "async" }, { persistMode: "default" }, refused(10052, "stream configuration update can not change persist mode", /persist mode/)],
  ["allowBatched false -> true", {}, { allowBatched: true }, "update"],
  ["allowBatched true -> false", { allowBatched: true }, {}, "update"],
];

type ConsumerCase = [string, Partial<ConsumerConfigArgs>, Partial<ConsumerConfigArgs>, Expected];

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
  ["deliverPolicy", {}, { deliverPolicy: "new" }, refused(10012, "deliver policy can not be updated", /deliver policy can not be updated/)],
  ["optStartSeq", { deliverPolicy: "byStartSequence", optStartSeq: 1 }, { deliverPolicy: "byStartSequence", optStartSeq: 2 }, refused(10012, "start sequence can not be updated", /start sequence can not be updated/)],
  ["optStartTime", { deliverPolicy: "byStartTime", optStartTime: "2026-01-01T00:00:00Z" }, { deliverPolicy: "byStartTime", optStartTime: "2026-02-01T00:00:00Z" }, refused(10012, "start time can not be updated", /start time can not be updated/)],
  ["ackPolicy", {}, { ackPolicy: "all" }, refused(10012, "ack policy can not be updated", /ack policy can not be updated/)],
  ["replayPolicy", {}, { replayPolicy: "original" }, refused(10012, "replay policy can not be updated", /replay policy can not be updated/)],
  ["memoryStorage", {}, { memoryStorage: true }, refused(10012, "storage type can not be updated", /storage/)],
  ["maxWaiting", {}, { maxWaiting: 10 }, refused(10012, "max waiting can not be updated", /max waiting can not be updated/)],
  ["pull -> push", {}, { deliverSubject: "push.a" }, refused(10012, "can not update pull consumer to push based", /pull consumer .*push/)],
  ["push -> pull", { deliverSubject: "push.a" }, {}, refused(10012, "can not update push consumer to pull based", /push consumer .*pull/)],
  ["push idleHeartbeat", { deliverSubject: "push.a" }, { deliverSubject: "push.a", idleHeartbeat: "5s" }, refused(10012, "heart beats can not be updated", /heart ?beat/)],
  ["push flowControl", { deliverSubject: "push.a", idleHeartbeat: "5s" }, { deliverSubject: "push.a", idleHeartbeat: "5s", flowControl: true }, refused(10012, "flow control can not be updated", /flow control can not be updated/)],
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

  it.each(STREAM_CASES.map(([title, from, to, expected]) => ({ title, from, to, expected, kind: kindOf(expected) })))("stream - $title is planned as $kind and the server agrees", async ({ from, to, expected, kind }) => {
    const name = `RULES_${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    const base: StreamConfigArgs = { name, subjects: ["rules.>"] };
    const olds = { ...base, ...from } as StreamConfigArgs;
    const news = { ...base, ...to } as StreamConfigArgs;
    const planned = diffStream(olds, news);
    expect(planned.changes.length).toBeGreaterThan(0);
    expect(planned.changes.some((c) => c.kind === "replace") ? "replace" : "update").toBe(kind);

    // The server refuses to create a sealed stream: seal it after creating it.
    await addStream(admin.jsm, streamToWire({ ...olds, sealed: false }));
    if (olds.sealed) await admin.jsm.streams.update(name, streamToWire(olds));
    try {
      const answer = await answerOf<WireStreamConfig>(admin.jsm.streams.update(name, streamToWire(news)));
      if (expected === "update") {
        expect(answer).toMatchObject({ accepted: true });
        if (answer.accepted) expect(diffStreamWire(answer.config, streamToWire(news)).changes).toEqual([]);
      } else {
        expectRefusedAsPlanned(answer, planned.changes.filter((c) => c.kind === "replace"), expected);
      }
    } finally {
      await admin.jsm.streams.delete(name);
    }
  });

  it.each(
    (
      [
        { title: "mirror -> another origin", from: { mirror: { name: "OTHER" } }, to: { mirror: { name: "OTHER2" } }, expected: refused(10055, "stream mirror configuration can not be updated", /mirror.* can not be updated/) },
        { title: "plain stream -> mirror", from: {}, to: { mirror: { name: "OTHER" } }, expected: refused(10055, "stream mirror configuration can not be updated", /mirror/) },
        { title: "mirror removed (promotion)", from: { mirror: { name: "OTHER" } }, to: {}, expected: "update" },
      ] as Array<{ title: string; from: Partial<StreamConfigArgs>; to: Partial<StreamConfigArgs>; expected: Expected }>
    ).map((c) => ({ ...c, kind: kindOf(c.expected) })),
  )(
    "stream - $title is planned as $kind and the server agrees",
    async ({ from, to, expected, kind }) => {
      const name = `MIRROR_${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
      const olds = { name, ...from } as StreamConfigArgs;
      const news = { name, ...to } as StreamConfigArgs;
      const planned = diffStream(olds, news);
      expect(planned.changes.some((c) => c.kind === "replace") ? "replace" : "update").toBe(kind);
      await addStream(admin.jsm, streamToWire(olds));
      try {
        const answer = await answerOf<WireStreamConfig>(admin.jsm.streams.update(name, streamToWire(news)));
        if (expected === "update") {
          // Promoted: no longer a mirror, and it reads back as planned.
          expect(answer).toMatchObject({ accepted: true });
          if (answer.accepted) {
            expect(answer.config.mirror).toBeUndefined();
            expect(diffStreamWire(answer.config, streamToWire(news)).changes).toEqual([]);
          }
          expect((await admin.jsm.streams.info(name)).config.mirror).toBeUndefined();
        } else {
          expectRefusedAsPlanned(answer, planned.changes.filter((c) => c.kind === "replace"), expected);
          // Refused: still the mirror it was.
          expect((await admin.jsm.streams.info(name)).config.mirror?.name).toBe(olds.mirror?.name);
        }
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

  it.each(CONSUMER_CASES.map(([title, from, to, expected]) => ({ title, from, to, expected, kind: kindOf(expected) })))("consumer - $title is planned as $kind and the server agrees", async ({ from, to, expected, kind }) => {
    const stream = `CRULES_${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
    await addStream(admin.jsm, { name: stream, subjects: [`${stream}.>`.toLowerCase(), "rules.*"], num_replicas: 3 });
    try {
      const base: ConsumerConfigArgs = { stream, durableName: "c1" };
      const olds = { ...base, ...from } as ConsumerConfigArgs;
      const news = { ...base, ...to } as ConsumerConfigArgs;
      const planned = diffConsumer(olds, news);
      expect(planned.changes.length).toBeGreaterThan(0);
      expect(planned.changes.some((c) => c.kind === "replace") ? "replace" : "update").toBe(kind);

      await admin.jsm.consumers.add(stream, consumerToWire(olds));
      // As the provider applies an update: the configuration, then a pause through the pause API.
      const answer = await answerOf<WireConsumerConfig>(applyUpdate(admin.jsm, stream, "c1", consumerToWire(news), { servers: cluster.urls }));
      if (expected === "update") {
        expect(answer).toMatchObject({ accepted: true });
        if (answer.accepted) expect(diffConsumerWire(answer.config, consumerToWire(news)).changes).toEqual([]);
      } else {
        expectRefusedAsPlanned(answer, planned.changes.filter((c) => c.kind === "replace"), expected);
      }
    } finally {
      await admin.jsm.streams.delete(stream);
    }
  });
});
