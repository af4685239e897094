/**
 * The field tables' mapping, with no server (as nack tests its spec mapping): for generated
 * configurations the schema accepts, args -> wire -> args -> wire gives the same wire
 * configuration, every field the user set comes back with the same meaning, and a configuration
 * never differs from itself read back. Each field of the tables needs a generator here: a field
 * added without one does not compile.
 */
import fc from "fast-check";
import { consumerConfigSchema, type ConsumerConfigArgs } from "../../components/jetstream/consumer-args";
import { CONSUMER_FIELDS } from "../../components/jetstream/consumer-fields";
import { streamConfigSchema, type StreamConfigArgs } from "../../components/jetstream/stream-args";
import { STREAM_FIELDS } from "../../components/jetstream/stream-fields";
import { diffConsumerWire, diffStreamWire } from "../../components/jetstream/update-rules";
import { consumerFromWire, consumerToWire, streamFromWire, streamToWire } from "../../components/jetstream/wire";

const dur = fc.constantFrom("1s", "90s", "5m", "1h", "2d", "1h30m");
const time = fc.constantFrom("2031-01-01T00:00:00Z", "2030-06-15T12:30:00Z");
const meta = fc.dictionary(fc.constantFrom("owner", "team", "tier"), fc.constantFrom("platform", "data", "a b"), { maxKeys: 2 });
const count = fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 1_000_000 }));
const source = fc.record({ name: fc.constantFrom("SRC_A", "SRC_B"), filterSubject: fc.constantFrom("a.>", "b.*") }, { requiredKeys: ["name"] });

/** One generator per stream field, keyed like the table. */
const STREAM_ARBS = {
  name: fc.constantFrom("ORDERS", "AA_CORE_HOT"),
  subjects: fc.uniqueArray(fc.constantFrom("orders.>", "refunds.*", "audit.log"), { minLength: 1, maxLength: 3 }),
  description: fc.string({ maxLength: 20 }),
  retention: fc.constantFrom("limits", "interest", "workqueue"),
  storage: fc.constantFrom("file", "memory"),
  replicas: fc.constantFrom(1, 3, 5),
  maxAge: dur,
  maxMsgs: count,
  maxBytes: count,
  maxMsgSize: count,
  maxMsgsPerSubject: count,
  maxConsumers: count,
  discard: fc.constantFrom("old", "new"),
  discardNewPerSubject: fc.boolean(),
  duplicateWindow: fc.constantFrom("1s", "30s"),
  denyDelete: fc.boolean(),
  denyPurge: fc.boolean(),
  allowRollup: fc.boolean(),
  allowDirect: fc.boolean(),
  mirrorDirect: fc.boolean(),
  allowMsgTtl: fc.boolean(),
  sealed: fc.boolean(),
  mirror: source,
  sources: fc.array(source, { minLength: 1, maxLength: 2 }),
  republish: fc.record({ src: fc.constantFrom("orders.>", "refunds.*"), dest: fc.constantFrom("copy.>", "copy.x"), headersOnly: fc.boolean() }, { requiredKeys: ["dest"] }),
  placement: fc.record({ cluster: fc.constantFrom("east", "west"), tags: fc.array(fc.constantFrom("ssd", "az1"), { minLength: 1, maxLength: 2 }) }),
  compression: fc.constantFrom("none", "s2"),
  metadata: meta,
  firstSeq: fc.integer({ min: 1, max: 1_000_000 }),
  subjectTransform: fc.record({ src: fc.constantFrom("orders.>", "in.*"), dest: fc.constantFrom("moved.>", "x.{{wildcard(1)}}") }),
  consumerLimits: fc.record({ inactiveThreshold: dur, maxAckPending: fc.integer({ min: 1, max: 10_000 }) }, { requiredKeys: [] }),
  subjectDeleteMarkerTtl: fc.constantFrom("1s", "1m", "1h"),
  allowMsgCounter: fc.boolean(),
  allowAtomic: fc.boolean(),
  allowMsgSchedules: fc.boolean(),
  persistMode: fc.constantFrom("default", "async"),
  allowBatched: fc.boolean(),
} satisfies { [K in keyof typeof STREAM_FIELDS]: fc.Arbitrary<unknown> };

/** One generator per consumer field, keyed like the table (and the stream it reads). */
const CONSUMER_ARBS = {
  durableName: fc.constantFrom("normalize-hrv-durable", "c1"),
  description: fc.string({ maxLength: 20 }),
  filterSubject: fc.constantFrom("orders.>", "orders.eu"),
  filterSubjects: fc.uniqueArray(fc.constantFrom("orders.eu", "refunds.*", "audit.log"), { minLength: 1, maxLength: 3 }),
  ackPolicy: fc.constantFrom("explicit", "all", "none"),
  ackWait: dur,
  deliverPolicy: fc.constantFrom("all", "last", "new", "byStartSequence", "byStartTime", "lastPerSubject"),
  optStartSeq: fc.integer({ min: 1, max: 1_000_000 }),
  optStartTime: time,
  maxDeliver: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 20 })),
  maxAckPending: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 10_000 })),
  backoff: fc.array(dur, { minLength: 1, maxLength: 3 }),
  replayPolicy: fc.constantFrom("instant", "original"),
  sampleFreq: fc.constantFrom("10%", "100"),
  inactiveThreshold: dur,
  headersOnly: fc.boolean(),
  replicas: fc.constantFrom(1, 3),
  memoryStorage: fc.boolean(),
  metadata: meta,
  maxWaiting: fc.integer({ min: 1, max: 1_000 }),
  maxBatch: fc.integer({ min: 1, max: 1_000 }),
  maxExpires: dur,
  maxBytes: fc.integer({ min: 1, max: 1_000_000 }),
  deliverSubject: fc.constantFrom("push.a", "push.b"),
  deliverGroup: fc.constantFrom("workers"),
  idleHeartbeat: dur,
  flowControl: fc.boolean(),
  rateLimitBps: fc.integer({ min: 1, max: 1_000_000 }),
  pauseUntil: time,
  priorityGroups: fc.uniqueArray(fc.constantFrom("jobs", "urgent", "a/b=c"), { minLength: 1, maxLength: 2 }),
  priorityPolicy: fc.constantFrom("none", "overflow", "pinnedClient", "prioritized"),
  priorityTimeout: dur,
} satisfies { [K in keyof typeof CONSUMER_FIELDS]: fc.Arbitrary<unknown> };

type Schema = { safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: { issues: Array<{ path: PropertyKey[] }> } } };

/**
 * Configurations with a random subset of fields set: fields the schema refuses together are
 * dropped one round at a time until it accepts what is left (random subsets rarely pass whole).
 */
function configs<T>(arbs: Record<string, fc.Arbitrary<unknown>>, required: string[], schema: Schema): fc.Arbitrary<T> {
  return fc.record(arbs, { requiredKeys: required }).map((raw) => {
    let candidate: Record<string, unknown> = raw;
    for (;;) {
      const r = schema.safeParse(candidate);
      if (r.success) return r.data as T;
      const refused = new Set(r.error.issues.map((i) => String(i.path[0])));
      let kept = Object.entries(candidate).filter(([k]) => required.includes(k) || !refused.has(k));
      // A rule may name the field that is missing (optStartTime for deliverPolicy "byStartTime"): drop another one.
      if (kept.length === Object.keys(candidate).length) kept = kept.filter(([k], i) => required.includes(k) || i !== kept.findIndex(([x]) => !required.includes(x)));
      candidate = Object.fromEntries(kept);
    }
  });
}

const streams = configs<StreamConfigArgs>(STREAM_ARBS, ["name"], streamConfigSchema);
const consumers = configs<ConsumerConfigArgs>({ ...CONSUMER_ARBS, stream: fc.constant("ORDERS") }, ["stream", "durableName"], consumerConfigSchema);
const RUNS = { numRuns: 400 };

describe("field tables - args -> wire -> args, with no server", () => {
  it("every stream field has a descriptor with a wire name of its own", () => {
    const wires = Object.values(STREAM_FIELDS).map((f) => f.wire);
    expect(new Set(wires).size).toBe(wires.length);
    expect(Object.keys(STREAM_ARBS).sort()).toEqual(Object.keys(STREAM_FIELDS).sort());
  });

  it("a stream configuration survives the round trip, and reads back as no change", () => {
    fc.assert(
      fc.property(streams, (a) => {
        const wire = streamToWire(a);
        const back = streamFromWire(wire);
        expect(streamToWire(back)).toEqual(wire);
        expect(diffStreamWire(wire, streamToWire(back)).changes).toEqual([]);
        // A field the user set means the same after the trip (its wire value is unchanged).
        for (const key of Object.keys(a) as Array<keyof typeof STREAM_FIELDS>) {
          const w = STREAM_FIELDS[key].wire as keyof typeof wire;
          expect([key, streamToWire({ ...a, [key]: back[key] })[w]]).toEqual([key, wire[w]]);
        }
      }),
      RUNS,
    );
  });

  it("a consumer configuration survives the round trip, and reads back as no change", () => {
    fc.assert(
      fc.property(consumers, (a) => {
        const wire = consumerToWire(a);
        const back = consumerFromWire(a.stream, wire);
        expect(consumerToWire(back)).toEqual(wire);
        expect(diffConsumerWire(wire, consumerToWire(back)).changes).toEqual([]);
        for (const key of Object.keys(a).filter((k) => k !== "stream") as Array<keyof typeof CONSUMER_FIELDS>) {
          const w = CONSUMER_FIELDS[key].wire as keyof typeof wire;
          expect([key, consumerToWire({ ...a, [key]: back[key] })[w]]).toEqual([key, wire[w]]);
        }
      }),
      RUNS,
    );
  });

  it("the generators reach every field: each one is set in some accepted configuration", () => {
    const seen = new Set<string>();
    fc.assert(fc.property(streams, (a) => void Object.keys(a).forEach((k) => seen.add(k))), { numRuns: 600 });
    fc.assert(fc.property(consumers, (a) => void Object.keys(a).forEach((k) => seen.add(`consumer.${k}`))), { numRuns: 600 });
    const missing = [...Object.keys(STREAM_FIELDS), ...Object.keys(CONSUMER_FIELDS).map((k) => `consumer.${k}`)].filter((k) => !seen.has(k));
    expect(missing).toEqual([]);
  });
});
