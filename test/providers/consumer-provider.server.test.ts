import { AckPolicy, DeliverPolicy, jetstream } from "@nats-io/jetstream";
import * as consumers from "../../components/providers/consumer-provider";
import * as streams from "../../components/providers/stream-provider";
import { addStream, publishStored, startReader, waitFor } from "../helpers/jetstream";
import { describeEachTopology, TOPOLOGIES, useLiveTopology } from "../helpers/topologies";

describeEachTopology("consumer provider on a $kind", ({ start }) => {
  const bus = useLiveTopology(start);
  // The seeds' HRV consumer.
  const inputs = (extra: Record<string, unknown> = {}) => ({
    stream: "AA_CORE_HOT",
    durableName: "normalize-hrv-durable",
    filterSubject: "athlete-ally.hrv.raw-received",
    ackPolicy: "explicit",
    deliverPolicy: "all",
    maxDeliver: 5,
    ackWait: "60s",
    maxAckPending: 1000,
    replicas: bus.topo.replicas,
    connection: { servers: bus.topo.urls },
    ...extra,
  });
  const asOutputs = (o: unknown) => o as consumers.ConsumerOutputs;

  beforeEach(async () => {
    await addStream(bus.admin.jsm, { name: "AA_CORE_HOT", subjects: ["athlete-ally.>", "sleep.*"], num_replicas: bus.topo.replicas });
  });
  afterEach(async () => {
    for await (const name of bus.admin.jsm.streams.names()) await bus.admin.jsm.streams.delete(name);
  });

  it("create makes the durable with the seeds' settings", async () => {
    const { id, outs } = await consumers.create(inputs());
    expect(id).toBe("AA_CORE_HOT/normalize-hrv-durable");
    const live = await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable");
    expect(live.config).toMatchObject({
      durable_name: "normalize-hrv-durable",
      filter_subject: "athlete-ally.hrv.raw-received",
      ack_policy: "explicit",
      deliver_policy: "all",
      max_deliver: 5,
      ack_wait: 60e9,
      max_ack_pending: 1000,
      num_replicas: bus.topo.replicas,
    });
    expect(outs).toMatchObject({ ackWait: "1m", maxDeliver: 5, filterSubject: "athlete-ally.hrv.raw-received" });
  });

  it("create adopts an identical durable, keeping its delivery state; refuses a different one unless adoptExisting", async () => {
    await bus.admin.jsm.consumers.add("AA_CORE_HOT", {
      durable_name: "normalize-hrv-durable",
      filter_subject: "athlete-ally.hrv.raw-received",
      ack_policy: AckPolicy.Explicit,
      max_deliver: 5,
      ack_wait: 60e9,
      max_ack_pending: 1000,
      num_replicas: bus.topo.replicas,
    });
    for (let i = 0; i < 3; i++) await publishStored(bus.admin.nc, "athlete-ally.hrv.raw-received", String(i));
    // A replicated durable answers pulls once its group has a leader (before that: "no responders").
    await waitFor("the durable's leader", async () => {
      const ci = await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable");
      return bus.topo.replicas === 1 || Boolean(ci.cluster?.leader);
    }, 15_000);
    const first = await (await jetstream(bus.admin.nc).consumers.get("AA_CORE_HOT", "normalize-hrv-durable")).next();
    await first!.ackAck();
    const before = await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable");
    const taken = await consumers.create(inputs());
    expect(taken).toMatchObject({ id: "AA_CORE_HOT/normalize-hrv-durable", outs: { filterSubject: "athlete-ally.hrv.raw-received", maxDeliver: 5, ackWait: "1m" } });
    // The same durable, not made again: created at the same time, one message acknowledged, two still to deliver.
    const live = await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable");
    expect({ created: live.created, acked: live.ack_floor.stream_seq, pending: live.num_pending }).toEqual({ created: before.created, acked: 1, pending: 2 });
    await expect(consumers.create(inputs({ maxDeliver: 7 }))).rejects.toThrow(/already exists with a different configuration \(maxDeliver: 5 -> 7\)/);
    const adopted = await consumers.create(inputs({ maxDeliver: 7, adoptExisting: true }));
    expect(adopted.outs!.maxDeliver).toBe(7);
    // Updated in place: the same durable, its acknowledgements kept.
    const updated = await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable");
    expect({ created: updated.created, maxDeliver: updated.config.max_deliver, acked: updated.ack_floor.stream_seq }).toEqual({ created: before.created, maxDeliver: 7, acked: 1 });
  });

  it("create refuses a filter outside the stream's subjects, which the server would accept", async () => {
    await expect(consumers.create(inputs({ filterSubject: "vendor.oura.sleep" }))).rejects.toThrow(
      /consumer normalize-hrv-durable on stream AA_CORE_HOT: filter subject "vendor.oura.sleep" is outside the stream's subjects \[athlete-ally\.>, sleep\.\*\]/,
    );
    await expect(bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).rejects.toThrow(/consumer not found/);
  });

  it("create on a missing stream says to create the stream first", async () => {
    await expect(consumers.create(inputs({ stream: "NOPE" }))).rejects.toThrow(/stream NOPE does not exist; create the stream first/);
  });

  it("update changes ack wait, max ack pending and the filter in place", async () => {
    const { outs } = await consumers.create(inputs());
    const r = await consumers.updateConsumer("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs), inputs({ ackWait: "90s", maxAckPending: 500, filterSubject: "athlete-ally.hrv.>" }));
    expect(r.outs).toMatchObject({ ackWait: "1m30s", maxAckPending: 500, filterSubject: "athlete-ally.hrv.>" });
    const live = await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable");
    expect(live.config.ack_wait).toBe(90e9);
    expect(live.config.max_ack_pending).toBe(500);
  });

  it("diff refuses a change of deliver policy unless allowReplace", async () => {
    const { outs } = await consumers.create(inputs());
    await expect(consumers.diff("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs), inputs({ deliverPolicy: "new" }))).rejects.toThrow(
      /deliverPolicy: "all" -> "new" \[replace: deliver policy can not be updated \(err_code 10012\)\].*set event-bus:allowReplace \(`pulumi config set event-bus:allowReplace true`\)/,
    );
    await expect(consumers.diff("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs), inputs({ deliverPolicy: "new", allowReplace: true }))).resolves.toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    await expect(consumers.diff("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs), inputs())).resolves.toMatchObject({ changes: false });
  });

  it("an allowed change the server refuses in place is an update that recreates the durable", async () => {
    const { outs } = await consumers.create(inputs());
    await publishStored(bus.admin.nc, "athlete-ally.hrv.raw-received", "{}");
    const checked = await consumers.check(inputs(), inputs({ deliverPolicy: "new", allowReplace: true }));
    expect(checked.inputs).toMatchObject({ replacing: expect.stringMatching(/^deliverPolicy: "all" -> "new" \[replace:/) });
    const updated = await consumers.updateConsumer("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs), checked.inputs!);
    expect(updated.outs).toMatchObject({ deliverPolicy: "new" });
    const live = await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable");
    expect(live.config.deliver_policy).toBe("new");
    expect(live.num_pending).toBe(0);
    await expect(consumers.updateConsumer("AA_CORE_HOT/normalize-hrv-durable", asOutputs(updated.outs), inputs({ deliverPolicy: "all" }))).rejects.toThrow(/loses its delivery and acknowledgement state.*set event-bus:allowReplace \(`pulumi config set event-bus:allowReplace true`\)/);
  });

  it("a new durable name is the engine's replacement: the new one first, the old one deleted once drained", async () => {
    const { outs } = await consumers.create(inputs());
    expect(await consumers.diff("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs), inputs({ durableName: "normalize-hrv-v2", allowReplace: true }))).toEqual({
      changes: true,
      replaces: ["durableName"],
      deleteBeforeReplace: false,
    });
    for (let i = 0; i < 12; i++) await publishStored(bus.admin.nc, "athlete-ally.hrv.raw-received", String(i));
    // As the engine replaces it: the new durable is created first (the old one still holds its backlog)...
    const created = await consumers.create(inputs({ durableName: "normalize-hrv-v2", allowReplace: true }));
    expect(created.id).toBe("AA_CORE_HOT/normalize-hrv-v2");
    expect((await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).num_pending).toBe(12);
    // ...then the old one is deleted, which waits while a reader still bound to it drains it.
    const reader = startReader(await jetstream(bus.admin.nc).consumers.get("AA_CORE_HOT", "normalize-hrv-durable"), { batch: 3, pauseMs: 100, ackAck: true, done: (read) => read.length >= 12 });
    await consumers.deleteConsumer("AA_CORE_HOT/normalize-hrv-durable", { ...asOutputs(outs), drainStallMs: 2_000 });
    expect(reader.read).toHaveLength(12);
    await reader.finished.catch(() => undefined);
    await expect(bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).rejects.toThrow(/consumer not found/);
    // The new one is untouched: it has everything still to read.
    expect((await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-v2")).num_pending).toBe(12);
  });

  it("a durable above its stream's consumerLimits is refused naming both keys; within them it is made", async () => {
    await addStream(bus.admin.jsm, { name: "LIMITED", subjects: ["limited.>"], consumer_limits: { max_ack_pending: 100 } });
    const limited = { stream: "LIMITED", durableName: "capped", filterSubject: "limited.a", connection: { servers: bus.topo.urls } };
    await expect(consumers.create(limited)).rejects.toThrow(/consumer capped on stream LIMITED: maxAckPending 1000 exceeds stream LIMITED's consumerLimits\.maxAckPending 100; set maxAckPending to at most 100/);
    await expect(bus.admin.jsm.consumers.info("LIMITED", "capped")).rejects.toThrow(/consumer not found/);
    const { outs } = await consumers.create({ ...limited, maxAckPending: 50 });
    expect(outs).toMatchObject({ maxAckPending: 50 });
  });

  it("read shows drift made by hand and reports a deleted consumer as gone", async () => {
    const { outs } = await consumers.create(inputs());
    await bus.admin.jsm.consumers.update("AA_CORE_HOT", "normalize-hrv-durable", { max_deliver: 9 });
    expect((await consumers.read("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs))).props).toMatchObject({ maxDeliver: 9 });
    await bus.admin.jsm.consumers.delete("AA_CORE_HOT", "normalize-hrv-durable");
    expect(await consumers.read("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs))).toEqual({});
  });

  it("delete refuses a consumer with undelivered or unacknowledged messages unless forceDelete; missing counts as done", async () => {
    const { outs } = await consumers.create(inputs());
    await publishStored(bus.admin.nc, "athlete-ally.hrv.raw-received", "{}");
    await waitFor("the durable to count the message", async () => (await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).num_pending === 1);
    // Nobody reads it: after the stall window without progress, the delete refuses.
    await expect(consumers.deleteConsumer("AA_CORE_HOT/normalize-hrv-durable", { ...asOutputs(outs), drainStallMs: 300 })).rejects.toThrow(
      /has 1 messages not yet delivered and 0 not acknowledged, and its readers made no progress for \d+ ms; refusing to delete it/,
    );
    await consumers.deleteConsumer("AA_CORE_HOT/normalize-hrv-durable", { ...asOutputs(outs), forceDelete: true });
    await consumers.deleteConsumer("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs));
    await expect(bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).rejects.toThrow(/consumer not found/);
  });

  it("delete waits while a reader drains the durable, and deletes it once nothing is left", async () => {
    const { outs } = await consumers.create(inputs());
    for (let i = 0; i < 40; i++) await publishStored(bus.admin.nc, "athlete-ally.hrv.raw-received", String(i));
    // A slow reader: 4 messages at a time, 100 ms apart (about 1 s for all), each acknowledged.
    const consumer = await jetstream(bus.admin.nc).consumers.get("AA_CORE_HOT", "normalize-hrv-durable");
    const reader = startReader(consumer, { batch: 4, pauseMs: 100, ackAck: true, done: (read) => read.length >= 40 });
    await consumers.deleteConsumer("AA_CORE_HOT/normalize-hrv-durable", { ...asOutputs(outs), drainStallMs: 2_000 });
    expect(reader.read.length).toBe(40);
    await expect(bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).rejects.toThrow(/consumer not found/);
    await reader.finished.catch(() => undefined);
  });

  it("a durable with several filter subjects gets one start: refused, naming the filter, when its stream claimed them at sequences with messages between", async () => {
    const streamInputs = (subjects: string[]) => ({ name: "ORDERS", subjects, replicas: bus.topo.replicas, connection: { servers: bus.topo.urls } });
    const created = await streams.create(streamInputs(["orders.>", "refunds.>"]));
    await publishStored(bus.admin.nc, "refunds.1", "an earlier incarnation's refund");
    // refunds.> leaves ORDERS and comes back later: claimed again at sequence 2, after two orders.
    const without = await streams.updateStream("ORDERS", created.outs as streams.StreamOutputs, streamInputs(["orders.>"]));
    await publishStored(bus.admin.nc, "orders.1", "order 1");
    const back = await streams.updateStream("ORDERS", without.outs as streams.StreamOutputs, streamInputs(["orders.>", "refunds.>"]));
    expect(back.outs!.claims).toEqual({ "orders.>": 0, "refunds.>": 2 });
    await publishStored(bus.admin.nc, "refunds.2", "refund 2");
    const durable = (startAfterSeq: number) => inputs({ stream: "ORDERS", durableName: "ledger", filterSubject: undefined, filterSubjects: ["orders.>", "refunds.>"], startAfterSeq });
    // After refunds' claim: the order stored at 2 would be skipped.
    await expect(consumers.create(durable(2))).rejects.toThrow(/consumer ledger on stream ORDERS: starting after 2 for all its filter subjects would skip what arrived on it after stream ORDERS claimed orders\.> at 0, from sequence 2 on/);
    // After orders' claim: the refund of the earlier incarnation would be processed again.
    await expect(consumers.create(durable(0))).rejects.toThrow(/starting after 0 .* would process again what stream ORDERS stored on it before it claimed refunds\.> at 2 \(an earlier incarnation\), from sequence 1 on/);
    await expect(bus.admin.jsm.consumers.info("ORDERS", "ledger")).rejects.toThrow(/consumer not found/);
    // Once the earlier incarnation's refund is purged, one start fits both.
    await bus.admin.jsm.streams.purge("ORDERS", { filter: "refunds.>", seq: 2 });
    await consumers.create(durable(0));
    expect((await bus.admin.jsm.consumers.info("ORDERS", "ledger")).num_pending).toBe(2);
  });

  it("startAfterSeq: a new durable starts right after that sequence; later values are no change", async () => {
    for (let i = 1; i <= 5; i++) await publishStored(bus.admin.nc, "athlete-ally.hrv.raw-received", String(i));
    const { outs } = await consumers.create(inputs({ startAfterSeq: 3 }));
    const live = await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable");
    expect({ policy: live.config.deliver_policy, start: live.config.opt_start_seq, pending: live.num_pending }).toEqual({ policy: "by_start_sequence", start: 4, pending: 2 });
    expect(outs).toMatchObject({ deliverPolicy: "byStartSequence", optStartSeq: 4 });
    // The start is fixed at creation: another value later, or one not known yet, changes nothing.
    await expect(consumers.diff("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs), inputs({ startAfterSeq: 9 }))).resolves.toMatchObject({ changes: false, replaces: [] });
    await expect(consumers.updateConsumer("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs), inputs({ startAfterSeq: 9, maxDeliver: 6 }))).resolves.toMatchObject({
      outs: { deliverPolicy: "byStartSequence", optStartSeq: 4, maxDeliver: 6 },
    });
    // 0 means the whole stream: deliver all.
    await bus.admin.jsm.consumers.delete("AA_CORE_HOT", "normalize-hrv-durable");
    await consumers.create(inputs({ startAfterSeq: 0 }));
    expect((await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).num_pending).toBe(5);
  });

  it("delete of a drained consumer succeeds", async () => {
    const { outs } = await consumers.create(inputs());
    await bus.admin.jsm.consumers.add("AA_CORE_HOT", { durable_name: "other", ack_policy: AckPolicy.Explicit, filter_subject: "sleep.*" });
    await consumers.deleteConsumer("AA_CORE_HOT/normalize-hrv-durable", asOutputs(outs));
    await expect(bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).rejects.toThrow(/consumer not found/);
  });

  it("a change of stream is a move, in one update: drained where it was (by the reader bound there), created after the claim, then deleted where it was", async () => {
    await addStream(bus.admin.jsm, { name: "AA_LEGACY", subjects: ["legacy.>"], num_replicas: bus.topo.replicas });
    const onLegacy = { ...inputs({ stream: "AA_LEGACY", filterSubject: "legacy.hrv" }) };
    const { outs } = await consumers.create(onLegacy);
    for (let i = 0; i < 20; i++) await publishStored(bus.admin.nc, "legacy.hrv", String(i));
    // The diff plans an update, not a replacement.
    expect(await consumers.diff("AA_LEGACY/normalize-hrv-durable", asOutputs(outs), { ...onLegacy, stream: "AA_CORE_HOT", filterSubject: "athlete-ally.hrv.raw-received" })).toMatchObject({ changes: true, replaces: [] });
    // Before the subjects move, the new stream does not capture the filter: refused before anything changes.
    await expect(consumers.updateConsumer("AA_LEGACY/normalize-hrv-durable", asOutputs(outs), { ...onLegacy, stream: "AA_CORE_HOT" })).rejects.toThrow(/filter subject "legacy.hrv" is outside the stream's subjects/);
    await bus.admin.jsm.streams.update("AA_LEGACY", { subjects: ["legacy.other"] });
    await bus.admin.jsm.streams.update("AA_CORE_HOT", { subjects: ["athlete-ally.>", "sleep.*", "legacy.hrv"] });
    for (let i = 0; i < 3; i++) await publishStored(bus.admin.nc, "legacy.hrv", `new-${i}`);
    // A reader bound to the old durable at its start drains it while the move waits.
    const bound = await jetstream(bus.admin.nc).consumers.get("AA_LEGACY", "normalize-hrv-durable");
    const reader = startReader(bound, { batch: 5, pauseMs: 50, done: (read) => read.length >= 20 });
    const moved = await consumers.updateConsumer("AA_LEGACY/normalize-hrv-durable", asOutputs(outs), { ...onLegacy, stream: "AA_CORE_HOT", startAfterSeq: 0 });
    await reader.finished;
    expect(reader.read).toHaveLength(20);
    expect(moved.outs).toMatchObject({ stream: "AA_CORE_HOT" });
    await expect(bus.admin.jsm.consumers.info("AA_LEGACY", "normalize-hrv-durable")).rejects.toThrow(/consumer not found/);
    expect((await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).num_pending).toBe(3);
    // Its id still names where it was created; read, diff and delete follow its stream.
    expect((await consumers.read("AA_LEGACY/normalize-hrv-durable", asOutputs(moved.outs))).props).toMatchObject({ stream: "AA_CORE_HOT" });
  });

  it("a move whose old durable has no reader refuses with the counts; forceDelete in the same update moves it, dropping them", async () => {
    await addStream(bus.admin.jsm, { name: "AA_LEGACY", subjects: ["legacy.>"], num_replicas: bus.topo.replicas });
    const onLegacy = inputs({ stream: "AA_LEGACY", filterSubject: "legacy.hrv" });
    const { outs } = await consumers.create(onLegacy);
    for (let i = 0; i < 4; i++) await publishStored(bus.admin.nc, "legacy.hrv", String(i));
    await bus.admin.jsm.streams.update("AA_LEGACY", { subjects: ["legacy.other"] });
    await bus.admin.jsm.streams.update("AA_CORE_HOT", { subjects: ["athlete-ally.>", "sleep.*", "legacy.hrv"] });
    const to = { ...onLegacy, stream: "AA_CORE_HOT", drainStallMs: 300 };
    await expect(consumers.updateConsumer("AA_LEGACY/normalize-hrv-durable", asOutputs(outs), to)).rejects.toThrow(
      /move from stream AA_LEGACY to AA_CORE_HOT: the durable on AA_LEGACY: has 4 messages not yet delivered and 0 not acknowledged, and its readers made no progress for \d+ ms; refusing to move it.*forceDelete/,
    );
    expect((await bus.admin.jsm.consumers.info("AA_LEGACY", "normalize-hrv-durable")).num_pending).toBe(4);
    await consumers.updateConsumer("AA_LEGACY/normalize-hrv-durable", asOutputs(outs), { ...to, forceDelete: true });
    await expect(bus.admin.jsm.consumers.info("AA_LEGACY", "normalize-hrv-durable")).rejects.toThrow(/consumer not found/);
    expect((await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).config.filter_subject).toBe("legacy.hrv");
  });

  it("a drain under traffic that keeps arriving ends at drainTimeoutMs, saying how much arrived meanwhile", async () => {
    const { outs } = await consumers.create(inputs());
    const js = jetstream(bus.admin.nc);
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing && i < 5_000; i++) {
        await js.publish("athlete-ally.hrv.raw-received", String(i)).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // A reader that makes progress, but slower than the publisher: the backlog only grows.
    const reading = startReader(await js.consumers.get("AA_CORE_HOT", "normalize-hrv-durable"), { batch: 1, pauseMs: 100, done: () => !publishing }).finished;
    try {
      await waitFor("a backlog", async () => (await bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable")).num_pending > 20);
      await expect(consumers.deleteConsumer("AA_CORE_HOT/normalize-hrv-durable", { ...asOutputs(outs), drainTimeoutMs: 1_500 })).rejects.toThrow(
        /after \d+ ms of draining \(drainTimeoutMs\) messages still arrive on its filter: \d+ new since the wait began; move what publishes there first; refusing to delete it/,
      );
    } finally {
      publishing = false;
      await publisher;
      await reading.catch(() => undefined);
    }
  });
});


describe("consumer provider - guards", () => {
  const bus = useLiveTopology(TOPOLOGIES[0].start);
  const inputs = (extra: Record<string, unknown> = {}) => ({
    stream: "AA_CORE_HOT",
    durableName: "normalize-hrv-durable",
    filterSubject: "athlete-ally.hrv.raw-received",
    ackWait: "60s",
    connection: { servers: bus.topo.urls },
    ...extra,
  });
  const id = "AA_CORE_HOT/normalize-hrv-durable";
  const asOutputs = (o: unknown) => o as consumers.ConsumerOutputs;
  const live = () => bus.admin.jsm.consumers.info("AA_CORE_HOT", "normalize-hrv-durable");

  beforeEach(async () => {
    await addStream(bus.admin.jsm, { name: "AA_CORE_HOT", subjects: ["athlete-ally.>", "sleep.*"] });
  });
  afterEach(async () => {
    for await (const name of bus.admin.jsm.streams.names()) await bus.admin.jsm.streams.delete(name);
  });

  it("update of a durable deleted outside Pulumi says so, and makes nothing", async () => {
    const { outs } = await consumers.create(inputs());
    await bus.admin.jsm.consumers.delete("AA_CORE_HOT", "normalize-hrv-durable");
    await expect(consumers.updateConsumer(id, asOutputs(outs), inputs({ maxDeliver: 7 }))).rejects.toThrow(
      /consumer normalize-hrv-durable on stream AA_CORE_HOT: was deleted outside Pulumi; run `pulumi refresh`/,
    );
    await expect(live()).rejects.toThrow(/consumer not found/);
  });

  it("replicas above the stream's are refused on create and update, naming err_code 10126; nothing changes", async () => {
    await expect(consumers.create(inputs({ replicas: 3 }))).rejects.toThrow(/consumer normalize-hrv-durable on stream AA_CORE_HOT: replicas 3 exceeds the stream's 1 \(err_code 10126\)/);
    await expect(live()).rejects.toThrow(/consumer not found/);
    const { outs } = await consumers.create(inputs({ replicas: 1 }));
    await expect(consumers.updateConsumer(id, asOutputs(outs), inputs({ replicas: 3 }))).rejects.toThrow(/replicas 3 exceeds the stream's 1 \(err_code 10126\)/);
    expect((await live()).config.num_replicas).toBe(1);
  });

  it("a durable above its stream's consumerLimits.inactiveThreshold is refused naming both; within it is made", async () => {
    await addStream(bus.admin.jsm, { name: "LIMITED", subjects: ["limited.>"], consumer_limits: { inactive_threshold: 3600e9 } });
    const limited = { stream: "LIMITED", durableName: "idle", filterSubject: "limited.a", connection: { servers: bus.topo.urls } };
    await expect(consumers.create({ ...limited, inactiveThreshold: "2h" })).rejects.toThrow(
      /consumer idle on stream LIMITED: inactiveThreshold exceeds stream LIMITED's consumerLimits\.inactiveThreshold \(1h\); set it to at most that/,
    );
    await expect(bus.admin.jsm.consumers.info("LIMITED", "idle")).rejects.toThrow(/consumer not found/);
    await consumers.create({ ...limited, inactiveThreshold: "30m" });
    expect((await bus.admin.jsm.consumers.info("LIMITED", "idle")).config.inactive_threshold).toBe(1800e9);
  });

  it("drainOnly: a durable whose filter the stream no longer captures is refused, and with drainOnly: true made to drain what the stream stored", async () => {
    await addStream(bus.admin.jsm, { name: "AA_LEGACY", subjects: ["legacy.>"] });
    for (let i = 0; i < 2; i++) await publishStored(bus.admin.nc, "legacy.hrv", String(i));
    // Its subjects moved away: what it stored stays.
    await bus.admin.jsm.streams.update("AA_LEGACY", { subjects: ["legacy.other"] });
    const draining = inputs({ stream: "AA_LEGACY", filterSubject: "legacy.hrv" });
    await expect(consumers.create(draining)).rejects.toThrow(/filter subject "legacy\.hrv" is outside the stream's subjects \[legacy\.other\].*set drainOnly: true/);
    await expect(bus.admin.jsm.consumers.info("AA_LEGACY", "normalize-hrv-durable")).rejects.toThrow(/consumer not found/);
    const { outs } = await consumers.create({ ...draining, drainOnly: true });
    expect(outs).toMatchObject({ stream: "AA_LEGACY", filterSubject: "legacy.hrv" });
    const made = await bus.admin.jsm.consumers.info("AA_LEGACY", "normalize-hrv-durable");
    expect({ filter: made.config.filter_subject, pending: made.num_pending }).toEqual({ filter: "legacy.hrv", pending: 2 });
  });

  it("a message its readers fail and the server redelivers is progress: the drain waits until it reaches maxDeliver and the reader dead-letters it", async () => {
    // The seeds' normalize: a message that fails is redelivered after the ack wait, up to maxDeliver
    // times; at the last delivery it goes to the dead-letter subject and is acknowledged.
    const { outs } = await consumers.create(inputs({ ackWait: "1s", maxDeliver: 4 }));
    await publishStored(bus.admin.nc, "athlete-ally.hrv.raw-received", "fails every time");
    const consumer = await jetstream(bus.admin.nc).consumers.get("AA_CORE_HOT", "normalize-hrv-durable");
    const deliveries: number[] = [];
    const reader = (async () => {
      while (deliveries.length < 4) {
        for await (const m of await consumer.fetch({ max_messages: 1, expires: 1_000 })) {
          deliveries.push(m.info.deliveryCount);
          // The last delivery: sent to the dead-letter subject (not captured here) and acknowledged.
          if (m.info.deliveryCount >= 4) {
            bus.admin.nc.publish("dlq.normalize.hrv.raw-received", m.data);
            await m.ackAck();
          }
        }
      }
    })();
    // Each redelivery comes an ack wait (1 s) after the last, within the stall limit (1 s) plus the
    // ack wait; the four take over 3 s, past it: only redeliveries counted as progress keep the drain going.
    await consumers.deleteConsumer(id, { ...asOutputs(outs), drainStallMs: 1_000 });
    await reader;
    expect(deliveries).toEqual([1, 2, 3, 4]);
    await expect(live()).rejects.toThrow(/consumer not found/);
  });

  it("a message out for acknowledgement extends the drain's stall limit by the ack wait", async () => {
    const { outs } = await consumers.create(inputs({ ackWait: "10s" }));
    await publishStored(bus.admin.nc, "athlete-ally.hrv.raw-received", "1");
    await publishStored(bus.admin.nc, "athlete-ally.hrv.raw-received", "2");
    await waitFor("the durable to count both", async () => (await live()).num_pending === 2);
    const deleting = { ...asOutputs(outs), drainStallMs: 300 };
    // Nothing out for acknowledgement: refused after the stall limit alone. The refusal's own count
    // of the stall says which limit it applied: at least drainStallMs, and short of drainStallMs plus
    // the ack wait (10.3 s), which only a message out for acknowledgement may add.
    const stalled = await consumers.deleteConsumer(id, deleting).then(() => "deleted", (e: Error) => e.message);
    expect(stalled).toMatch(/has 2 messages not yet delivered and 0 not acknowledged, and its readers made no progress for \d+ ms/);
    const stalledMs = Number(/no progress for (\d+) ms/.exec(stalled)![1]);
    expect(stalledMs).toBeGreaterThanOrEqual(300);
    expect(stalledMs).toBeLessThan(300 + 10_000);
    expect((await live()).num_pending).toBe(2);
    // A reader holds one message for 1.5 s, longer than drainStallMs but within it plus the ack wait, then
    // acknowledges it and reads the other: the delete waits for it and succeeds.
    const consumer = await jetstream(bus.admin.nc).consumers.get("AA_CORE_HOT", "normalize-hrv-durable");
    const held = await consumer.next();
    await waitFor("the message to be out for acknowledgement", async () => (await live()).num_ack_pending === 1);
    const slowReader = (async () => {
      await new Promise((r) => setTimeout(r, 1_500));
      await held!.ackAck();
      const next = await consumer.next();
      await next!.ackAck();
    })();
    let started = Date.now();
    await consumers.deleteConsumer(id, deleting);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    await slowReader;
    await expect(live()).rejects.toThrow(/consumer not found/);
    // A reader that never acknowledges: refused only once drainStallMs plus the ack wait (2.3 s) have passed.
    const again = await consumers.create(inputs({ ackWait: "2s" }));
    await publishStored(bus.admin.nc, "athlete-ally.hrv.raw-received", "3");
    const never = await (await jetstream(bus.admin.nc).consumers.get("AA_CORE_HOT", "normalize-hrv-durable")).next();
    expect(never).not.toBeNull();
    await waitFor("the message to be out for acknowledgement", async () => (await live()).num_ack_pending >= 1);
    started = Date.now();
    const refusal = await consumers.deleteConsumer(id, { ...asOutputs(again.outs), drainStallMs: 300 }).then(() => "deleted", (e: Error) => e.message);
    const waited = Date.now() - started;
    expect(refusal).toMatch(/not acknowledged, and its readers made no progress for \d+ ms; refusing to delete it/);
    expect(Number(/no progress for (\d+) ms/.exec(refusal)![1])).toBeGreaterThanOrEqual(2_300);
    expect(waited).toBeGreaterThanOrEqual(2_300);
    // ...and refused then, not left waiting: a bound a slow machine stays far below (a try every
    // 100 ms past the limit), and that only a drain ignoring its limit reaches.
    expect(waited).toBeLessThan(3 * 2_300 + 5_000);
  });

  it("a durable that differs in what the server can not change in place can not be taken over: the preview's check and the create refuse it even with adoptExisting, and it stays as it was", async () => {
    await bus.admin.jsm.consumers.add("AA_CORE_HOT", { durable_name: "normalize-hrv-durable", filter_subject: "athlete-ally.hrv.raw-received", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New, ack_wait: 60e9 });
    for (const adoptExisting of [false, true]) {
      const checked = await consumers.check({}, inputs({ adoptExisting }));
      expect(checked.failures).toEqual([
        { property: "adoptExisting", reason: expect.stringMatching(/^consumer normalize-hrv-durable on stream AA_CORE_HOT: already exists and can not be taken over: deliverPolicy: "new" -> "all" \[replace: /) },
      ]);
    }
    await expect(consumers.create(inputs({ adoptExisting: true }))).rejects.toThrow(/^consumer normalize-hrv-durable on stream AA_CORE_HOT: can not adopt: deliverPolicy: "new" -> "all" \[replace: /);
    expect((await live()).config.deliver_policy).toBe("new");
  });
});
