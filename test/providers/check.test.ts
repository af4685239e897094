/**
 * Check rejects bad input with the field path and what was expected, before any server is
 * contacted: the connection points at a listener that counts every connection attempt. (Only
 * valid inputs for a create make check look at the server, to read what already exists there:
 * components/providers/adoption.ts.)
 */
import * as net from "node:net";
import * as consumers from "../../components/providers/consumer-provider";
import * as streams from "../../components/providers/stream-provider";
import { closeConnections } from "../../components/jetstream/client";
import { UNKNOWN } from "../../components/jetstream/validation";

let sentinel: net.Server;
let attempts = 0;
let connection: { servers: string[] };

beforeAll(async () => {
  sentinel = net.createServer((socket) => {
    attempts++;
    socket.destroy();
  });
  await new Promise<void>((r) => sentinel.listen(0, "127.0.0.1", () => r()));
  connection = { servers: [`nats://127.0.0.1:${(sentinel.address() as net.AddressInfo).port}`] };
});
afterAll(async () => {
  await closeConnections();
  await new Promise((r) => sentinel.close(r));
});

const stream = (extra: Record<string, unknown>) => ({ name: "AA_CORE_HOT", subjects: ["athlete-ally.>", "sleep.*"], maxAge: "48h", connection, ...extra });
const consumer = (extra: Record<string, unknown>) => ({ stream: "AA_CORE_HOT", durableName: "normalize-hrv-durable", filterSubject: "athlete-ally.hrv.raw-received", connection, ...extra });

type Case = [title: string, resource: "stream" | "consumer", extra: Record<string, unknown>, property: string, reason: RegExp];

const CASES: Case[] = [
  ["stream name with a dot", "stream", { name: "AA.CORE" }, "name", /letters, digits, '-' and '_' only/],
  ["stream name with a space", "stream", { name: "AA CORE" }, "name", /letters, digits/],
  ["empty stream name", "stream", { name: "" }, "name", /non-empty stream name/],
  ["stream name not a string", "stream", { name: 42 }, "name", /stream name as a string/],
  ["subject with empty token", "stream", { subjects: ["athlete-ally..hrv"] }, "subjects[0]", /empty token/],
  ["'>' not last", "stream", { subjects: ["athlete-ally.>.hrv"] }, "subjects[0]", /'>' must be the last token/],
  ["partial wildcard", "stream", { subjects: ["sleep.night*"] }, "subjects[0]", /'\*' must be a whole token/],
  ["stream capturing every subject", "stream", { subjects: [">"] }, "subjects[0]", /needs a no-ack stream/],
  ["stream capturing the JetStream API", "stream", { subjects: ["*.hrv"] }, "subjects[0]", /overlaps "\$JS\.>", reserved for the JetStream API/],
  ["stream capturing request replies", "stream", { subjects: ["_INBOX.>"] }, "subjects[0]", /overlaps "_INBOX\.>", reserved for request replies/],
  ["stream capturing some request replies", "stream", { subjects: ["_INBOX.abc.*"] }, "subjects[0]", /overlaps "_INBOX\.>", reserved for request replies/],
  ["delete markers without message TTLs", "stream", { allowRollup: true, subjectDeleteMarkerTtl: "1m" }, "subjectDeleteMarkerTtl", /expected allowMsgTtl: true with subjectDeleteMarkerTtl/],
  ["delete markers shorter than a second", "stream", { allowRollup: true, allowMsgTtl: true, subjectDeleteMarkerTtl: "500ms" }, "subjectDeleteMarkerTtl", /at least 1s/],
  ["schedules without roll-ups", "stream", { allowMsgSchedules: true }, "allowMsgSchedules", /expected allowRollup: true with allowMsgSchedules/],
  ["counter with message TTLs", "stream", { allowMsgCounter: true, allowMsgTtl: true }, "allowMsgCounter", /counter stream can not use message TTLs/],
  ["async persistence on 3 replicas", "stream", { persistMode: "async", replicas: 3 }, "persistMode", /only for streams of 1 replica/],
  ["persist mode unknown", "stream", { persistMode: "lazy" }, "persistMode", /one of "default", "async"/],
  ["first sequence 0", "stream", { firstSeq: 0 }, "firstSeq", /firstSeq of at least 1/],
  ["consumer limits misspelt", "stream", { consumerLimits: { maxAckPendin: 5 } }, "consumerLimits.maxAckPendin", /unknown field "maxAckPendin"/],
  ["subject with whitespace", "stream", { subjects: ["sleep. night"] }, "subjects[0]", /whitespace/],
  ["own subjects overlap", "stream", { subjects: ["vendor.>", "vendor.oura.>"] }, "subjects", /"vendor\.>" and "vendor\.oura\.>" overlap/],
  ["duplicate subjects", "stream", { subjects: ["dlq.>", "dlq.>"] }, "subjects", /duplicate subject "dlq\.>"/],
  ["duration without unit", "stream", { maxAge: "48" }, "maxAge", /expected a duration such as "60s"/],
  ["duration with unknown unit", "stream", { maxAge: "2y" }, "maxAge", /expected a duration/],
  ["duration as a number", "stream", { maxAge: 3600 }, "maxAge", /duration string/],
  ["replicas 0", "stream", { replicas: 0 }, "replicas", /replicas from 1 to 5/],
  ["replicas 7", "stream", { replicas: 7 }, "replicas", /server's maximum is 5/],
  ["replicas fractional", "stream", { replicas: 1.5 }, "replicas", /whole number/],
  ["retention unknown", "stream", { retention: "forever" }, "retention", /one of "limits", "interest", "workqueue"/],
  ["storage unknown", "stream", { storage: "disk" }, "storage", /one of "file", "memory"/],
  ["discard unknown", "stream", { discard: "oldest" }, "discard", /one of "old", "new"/],
  ["maxMsgs below -1", "stream", { maxMsgs: -5 }, "maxMsgs", /-1 \(unlimited\) or more/],
  ["duplicate window longer than max age", "stream", { maxAge: "1m", duplicateWindow: "2m" }, "duplicateWindow", /no longer than maxAge/],
  ["discardNewPerSubject without its prerequisites", "stream", { discardNewPerSubject: true }, "discardNewPerSubject", /discard "new" and maxMsgsPerSubject/],
  ["rollup with deny purge", "stream", { allowRollup: true, denyPurge: true }, "allowRollup", /roll-ups need purge/],
  ["mirror with subjects", "stream", { mirror: { name: "OTHER" } }, "mirror", /a mirror takes no subjects/],
  ["reserved metadata key", "stream", { metadata: { "_nats.level": "1" } }, "metadata._nats.level", /reserved by the server/],
  ["misspelt field", "stream", { maxAgee: "48h" }, "maxAgee", /unknown field "maxAgee"/],
  ["safety flag not a boolean", "stream", { forceDelete: "yes" }, "forceDelete", /forceDelete as true or false/],
  ["no server URL", "stream", { connection: { servers: [] } }, "connection.servers", /at least one server URL/],
  ["credentials in the URL", "stream", { connection: { servers: ["nats://admin:s3cret@127.0.0.1:4222"] } }, "connection.servers[0]", /no credentials in the URL/],
  ["two ways to authenticate", "stream", { connection: { ...{ servers: ["nats://127.0.0.1:4222"] }, token: "t0ken", user: "u", password: "p" } }, "connection", /one way to authenticate/],
  ["user without password", "stream", { connection: { servers: ["nats://127.0.0.1:4222"], user: "admin" } }, "connection.password", /password with user/],
  ["durable name with a dot", "consumer", { durableName: "normalize.hrv" }, "durableName", /durable consumer name of letters/],
  ["filter outside syntax", "consumer", { filterSubject: "athlete-ally.>.x" }, "filterSubject", /'>' must be the last token/],
  ["filter and filters together", "consumer", { filterSubjects: ["sleep.*"] }, "filterSubjects", /filterSubject or filterSubjects, not both/],
  ["overlapping filters", "consumer", { filterSubject: undefined, filterSubjects: ["sleep.*", "sleep.night"] }, "filterSubjects", /overlap/],
  ["ack policy unknown", "consumer", { ackPolicy: "sometimes" }, "ackPolicy", /one of "explicit", "all", "none"/],
  ["deliver policy unknown", "consumer", { deliverPolicy: "oldest" }, "deliverPolicy", /one of "all", "last", "new"/],
  ["priority policy without groups", "consumer", { priorityPolicy: "overflow" }, "priorityPolicy", /expected priorityGroups with priorityPolicy "overflow"/],
  ["priority groups without a policy", "consumer", { priorityGroups: ["jobs"] }, "priorityGroups", /priorityPolicy other than "none"/],
  ["priority group name too long", "consumer", { priorityPolicy: "overflow", priorityGroups: ["a-very-long-group-name"] }, "priorityGroups[0]", /1 to 16 letters/],
  ["priority timeout without pinning", "consumer", { priorityPolicy: "overflow", priorityGroups: ["jobs"], priorityTimeout: "30s" }, "priorityTimeout", /only to priorityPolicy "pinnedClient"/],
  ["pause time not a time", "consumer", { pauseUntil: "tomorrow" }, "pauseUntil", /RFC 3339 timestamp/],
  ["start sequence missing", "consumer", { deliverPolicy: "byStartSequence" }, "optStartSeq", /expected optStartSeq/],
  ["start time without its policy", "consumer", { optStartTime: "2026-01-01T00:00:00Z" }, "optStartTime", /only with deliverPolicy "byStartTime"/],
  ["bad start time", "consumer", { deliverPolicy: "byStartTime", optStartTime: "yesterday" }, "optStartTime", /RFC 3339/],
  ["max deliver 0", "consumer", { maxDeliver: 0 }, "maxDeliver", /-1 \(unlimited\) or at least 1/],
  ["ack wait 0", "consumer", { ackWait: "0" }, "ackWait", /ackWait above 0/],
  ["ack wait not a duration", "consumer", { ackWait: "a minute" }, "ackWait", /expected a duration/],
  ["backoff too long for max deliver", "consumer", { maxDeliver: 2, backoff: ["1s", "5s"] }, "backoff", /fewer backoff steps \(2\) than maxDeliver \(2\)/],
  ["ack wait differing from the first backoff step", "consumer", { maxDeliver: 5, backoff: ["1s"], ackWait: "60s" }, "ackWait", /waits the first step \(1s\)/],
  ["push setting on a pull consumer", "consumer", { idleHeartbeat: "5s" }, "idleHeartbeat", /only to push consumers/],
  ["pull setting on a push consumer", "consumer", { deliverSubject: "push.hrv", maxWaiting: 10 }, "maxWaiting", /only to pull consumers/],
  ["consumer replicas 6", "consumer", { replicas: 6 }, "replicas", /replicas from 1 to 5/],
  ["consumer missing stream", "consumer", { stream: undefined }, "stream", /stream name as a string/],
];

describe("check - bad input is rejected with the field path, no server contacted", () => {
  it.each(CASES.map(([title, resource, extra, property, reason]) => ({ title, resource, extra, property, reason })))(
    "$resource - $title",
    async ({ resource, extra, property, reason }) => {
      const inputs = resource === "stream" ? stream(extra) : consumer(extra);
      const result = resource === "stream" ? await streams.check({}, inputs) : await consumers.check({}, inputs);
      const failure = result.failures?.find((f) => f.property === property);
      expect({ property: failure?.property, failures: result.failures }).toMatchObject({ property });
      expect(failure!.reason).toMatch(reason);
    },
  );

  it("none of the bad inputs above reached for a server", () => {
    expect(attempts).toBe(0);
  });

  it("accepts the seeds' streams and consumer as written (a create then reads the server; an unreachable one is left to the create)", async () => {
    expect((await streams.check({}, stream({}))).failures).toEqual([]);
    expect((await streams.check({}, stream({ name: "AA_DLQ", subjects: ["dlq.>"], maxAge: "14d", replicas: 3 }))).failures).toEqual([]);
    expect((await consumers.check({}, consumer({ ackPolicy: "explicit", deliverPolicy: "all", maxDeliver: 5, ackWait: "60s", maxAckPending: 1000 }))).failures).toEqual([]);
  });

  it("does not judge values that are unknown during preview, and still judges the rest", async () => {
    const r = await streams.check({}, stream({ connection: { servers: [UNKNOWN] }, maxAge: "48" }));
    expect(r.failures).toEqual([{ property: "maxAge", reason: expect.stringMatching(/expected a duration/) }]);
  });

  it("never puts a credential in a failure", async () => {
    const r = await streams.check({}, stream({ connection: { servers: ["nats://127.0.0.1:4222"], token: "sup3r-s3cret-token", password: "also-s3cret" } }));
    expect(r.failures?.length).toBeGreaterThan(0);
    expect(JSON.stringify(r.failures)).not.toMatch(/s3cret/);
  });
});
