import { AckPolicy, DeliverPolicy, jetstream } from "@nats-io/jetstream";
import * as streams from "../../components/providers/stream-provider";
import { claimsOf } from "../../components/jetstream/claims";
import { durablesToRecreate } from "../../components/jetstream/recreated-durables";
import { addStream, publishStored, waitFor } from "../helpers/jetstream";
import { describeEachTopology, TOPOLOGIES, useLiveTopology } from "../helpers/topologies";

describeEachTopology("stream provider on a $kind", ({ start }) => {
  const bus = useLiveTopology(start);
  const inputs = (extra: Record<string, unknown> = {}) => ({
    name: "ORDERS",
    subjects: ["orders.>"],
    maxAge: "48h",
    replicas: bus.topo.replicas,
    connection: { servers: bus.topo.urls },
    ...extra,
  });

  afterEach(async () => {
    for await (const name of bus.admin.jsm.streams.names()) await bus.admin.jsm.streams.delete(name);
  });

  it("create makes the stream with the configured settings", async () => {
    const { id, outs } = await streams.create(inputs({ __provider: "serialised-provider-text" }));
    expect(id).toBe("ORDERS");
    const live = await bus.admin.jsm.streams.info("ORDERS");
    expect(live.config.subjects).toEqual(["orders.>"]);
    expect(live.config.max_age).toBe(48 * 3600e9);
    expect(live.config.num_replicas).toBe(bus.topo.replicas);
    expect(outs).toMatchObject({ name: "ORDERS", maxAge: "2d", replicas: bus.topo.replicas, storage: "file", retention: "limits" });
    expect(outs).not.toHaveProperty("__provider");
  });

  it("create adopts an existing stream with the same configuration: the same stream, its messages kept, its configuration in the outputs", async () => {
    await addStream(bus.admin.jsm, { name: "ORDERS", subjects: ["orders.>"], max_age: 48 * 3600e9, num_replicas: bus.topo.replicas });
    await publishStored(bus.admin.nc, "orders.1", "before");
    const before = await bus.admin.jsm.streams.info("ORDERS");
    const adopted = await streams.create(inputs({ maxAge: "2d" }));
    expect(adopted.id).toBe("ORDERS");
    expect(adopted.outs).toMatchObject({ name: "ORDERS", subjects: ["orders.>"], maxAge: "2d", replicas: bus.topo.replicas });
    const live = await bus.admin.jsm.streams.info("ORDERS");
    // Not deleted and made again: created at the same time, still holding what it held.
    expect({ created: live.created, messages: live.state.messages, first: live.state.first_seq }).toEqual({ created: before.created, messages: 1, first: 1 });
    // Adopted, it is this resource's: a later update goes to it in place.
    await streams.updateStream("ORDERS", adopted.outs as streams.StreamOutputs, inputs({ maxAge: "72h" }));
    expect(await bus.admin.jsm.streams.info("ORDERS")).toMatchObject({ created: before.created, state: { messages: 1 }, config: { max_age: 72 * 3600e9 } });
  });

  it("create refuses an existing stream with a different configuration unless adoptExisting, which updates it", async () => {
    await addStream(bus.admin.jsm, { name: "ORDERS", subjects: ["orders.>"], max_age: 3600e9, num_replicas: bus.topo.replicas });
    await expect(streams.create(inputs())).rejects.toThrow(/stream ORDERS: already exists with a different configuration \(maxAge: "1h" -> "2d"\).*adoptExisting/);
    const adopted = await streams.create(inputs({ adoptExisting: true }));
    expect(adopted.outs!.maxAge).toBe("2d");
    expect((await bus.admin.jsm.streams.info("ORDERS")).config.max_age).toBe(48 * 3600e9);
  });

  it("create names the stream that already holds an overlapping subject", async () => {
    await addStream(bus.admin.jsm, { name: "LEGACY", subjects: ["vendor.oura.>"], num_replicas: bus.topo.replicas });
    await expect(streams.create(inputs({ name: "VENDOR", subjects: ["vendor.>"], handoverWaitMs: 200 }))).rejects.toThrow(
      /stream VENDOR: create: subjects overlap with an existing stream \(err_code 10065\): "vendor\.>" collides with "vendor\.oura\.>" of stream LEGACY/,
    );
  });

  it("read returns the live configuration, shows drift made by hand, and reports a deleted stream as gone", async () => {
    const { outs } = await streams.create(inputs());
    await bus.admin.jsm.streams.update("ORDERS", { max_age: 3600e9, subjects: ["orders.>", "refunds.>"] });
    const drifted = await streams.read("ORDERS", outs as streams.StreamOutputs);
    expect(drifted.props).toMatchObject({ maxAge: "1h", subjects: ["orders.>", "refunds.>"] });
    await bus.admin.jsm.streams.delete("ORDERS");
    expect(await streams.read("ORDERS", outs as streams.StreamOutputs)).toEqual({});
  });

  it("update changes limits and subjects in place, keeping the messages", async () => {
    const { outs } = await streams.create(inputs());
    await publishStored(bus.admin.nc, "orders.1", "x");
    const r = await streams.updateStream("ORDERS", outs as streams.StreamOutputs, inputs({ maxAge: "72h", subjects: ["orders.>", "refunds.>"], maxMsgs: 1000 }));
    expect(r.outs).toMatchObject({ maxAge: "3d", subjects: ["orders.>", "refunds.>"], maxMsgs: 1000 });
    const live = await bus.admin.jsm.streams.info("ORDERS");
    expect(live.config.max_age).toBe(72 * 3600e9);
    expect(live.state.messages).toBe(1);
  });

  it("diff plans an update for limits and refuses a replace unless allowReplace", async () => {
    const { outs } = await streams.create(inputs());
    const olds = outs as streams.StreamOutputs;
    expect(await streams.diff("ORDERS", olds, inputs({ maxAge: "72h" }))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
    expect(await streams.diff("ORDERS", olds, inputs())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: true });
    await expect(streams.diff("ORDERS", olds, inputs({ storage: "memory" }))).rejects.toThrow(
      /stream ORDERS: storage: "file" -> "memory" \[replace: the server can not change storage type \(err_code 10052\)\].*deletes every message.*set event-bus:allowReplace \(`pulumi config set event-bus:allowReplace true`\)/,
    );
    expect(await streams.diff("ORDERS", olds, inputs({ storage: "memory", allowReplace: true }))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
    });
  });

  it("delete refuses a stream that holds messages unless forceDelete", async () => {
    const { outs } = await streams.create(inputs());
    await publishStored(bus.admin.nc, "orders.1", "x");
    await expect(streams.deleteStream("ORDERS", outs as streams.StreamOutputs)).rejects.toThrow(/stream ORDERS: holds 1 messages .*refusing to delete.*set event-bus:forceDelete \(`pulumi config set event-bus:forceDelete true`, which drops them\)/);
    expect((await bus.admin.jsm.streams.info("ORDERS")).state.messages).toBe(1);
    await streams.deleteStream("ORDERS", { ...(outs as streams.StreamOutputs), forceDelete: true });
    await expect(bus.admin.jsm.streams.info("ORDERS")).rejects.toThrow(/stream not found/);
  });

  it("delete of an empty stream succeeds, and a missing stream counts as deleted", async () => {
    const { outs } = await streams.create(inputs());
    await streams.deleteStream("ORDERS", outs as streams.StreamOutputs);
    await streams.deleteStream("ORDERS", outs as streams.StreamOutputs);
    await expect(bus.admin.jsm.streams.info("ORDERS")).rejects.toThrow(/stream not found/);
  });

  it("an allowed change the server refuses in place is an update that recreates the stream, named in the preview", async () => {
    const { outs } = await streams.create(inputs());
    await publishStored(bus.admin.nc, "orders.1", "x");
    const plan = await streams.diff("ORDERS", outs as streams.StreamOutputs, inputs({ storage: "memory", allowReplace: true }));
    // The same stream name: not the engine's replacement (its re-check and delete would not carry the approval).
    expect(plan).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
    // As the engine calls it: the serialised provider is among the inputs.
    const checked = await streams.check({ ...inputs(), __provider: "serialised" }, { ...inputs({ storage: "memory", allowReplace: true }), __provider: "serialised" });
    expect(checked.inputs).toMatchObject({ replacing: expect.stringMatching(/^storage: "file" -> "memory" \[replace: .*10052\)\]$/) });
    // The update holds the old state and the approval together; nothing else is needed (no diff in this process).
    const updated = await streams.updateStream("ORDERS", outs as streams.StreamOutputs, checked.inputs!);
    expect(updated.outs).toMatchObject({ storage: "memory" });
    expect(updated.outs).not.toHaveProperty("replacing");
    const live = await bus.admin.jsm.streams.info("ORDERS");
    expect(live.config.storage).toBe("memory");
    expect(live.state.messages).toBe(0);
  });

  it("a recreated stream gets its durables again, as they were, reading what arrives from the start", async () => {
    const { outs } = await streams.create(inputs());
    for (let i = 0; i < 3; i++) await publishStored(bus.admin.nc, "orders.1", String(i));
    await bus.admin.jsm.consumers.add("ORDERS", { durable_name: "billing", ack_policy: AckPolicy.Explicit, filter_subject: "orders.1", max_deliver: 7 });
    await bus.admin.jsm.consumers.add("ORDERS", { durable_name: "late", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 3 });
    await streams.updateStream("ORDERS", outs as streams.StreamOutputs, inputs({ storage: "memory", allowReplace: true }));
    const billing = await bus.admin.jsm.consumers.info("ORDERS", "billing");
    expect({ filter: billing.config.filter_subject, maxDeliver: billing.config.max_deliver, pending: billing.num_pending }).toEqual({ filter: "orders.1", maxDeliver: 7, pending: 0 });
    // A start past the new, empty stream's end would skip what arrives first: it reads from the start.
    await publishStored(bus.admin.nc, "orders.2", "after");
    await waitFor("both durables to count the new message", async () => (await bus.admin.jsm.consumers.info("ORDERS", "late")).num_pending === 1);
    expect((await bus.admin.jsm.consumers.info("ORDERS", "late")).config.deliver_policy).toBe("all");
  });

  it("a recreate that fails before its durables are back keeps their list on the new stream: the rerun makes them again, without recreating the stream again", async () => {
    const { outs } = await streams.create(inputs());
    await bus.admin.jsm.consumers.add("ORDERS", { durable_name: "billing", ack_policy: AckPolicy.Explicit, filter_subject: "orders.1", max_ack_pending: 1000 });
    await bus.admin.jsm.consumers.add("ORDERS", { durable_name: "audit", ack_policy: AckPolicy.Explicit, max_ack_pending: 5 });
    // The new stream's consumer limit refuses billing (maxAckPending 1000 > 10): the update fails after the recreate.
    await expect(streams.updateStream("ORDERS", outs as streams.StreamOutputs, inputs({ storage: "memory", allowReplace: true, consumerLimits: { maxAckPending: 10 } }))).rejects.toThrow(/recreate consumer (billing|audit)/);
    const live = await bus.admin.jsm.streams.info("ORDERS");
    expect(live.config.storage).toBe("memory");
    expect(durablesToRecreate(live.config).map((d) => d.durable_name).sort()).toEqual(["audit", "billing"]);
    await publishStored(bus.admin.nc, "orders.1", "arrived after the recreate");
    // The rerun, from the same state (the engine never saw the recreate), with the limit fixed.
    await streams.updateStream("ORDERS", outs as streams.StreamOutputs, inputs({ storage: "memory", allowReplace: true }));
    const after = await bus.admin.jsm.streams.info("ORDERS");
    expect({ created: after.created, messages: after.state.messages, marked: durablesToRecreate(after.config) }).toEqual({ created: live.created, messages: 1, marked: [] });
    const names = [];
    for await (const ci of bus.admin.jsm.consumers.list("ORDERS")) names.push(`${ci.name}:${ci.config.filter_subject ?? ""}:${ci.num_pending}`);
    expect(names.sort()).toEqual(["audit::1", "billing:orders.1:1"]);
  });

  it("without allowReplace the update refuses it and the messages stay", async () => {
    const { outs } = await streams.create(inputs());
    await publishStored(bus.admin.nc, "orders.1", "x");
    await expect(streams.updateStream("ORDERS", outs as streams.StreamOutputs, inputs({ storage: "memory" }))).rejects.toThrow(/stream ORDERS: storage: .*deletes every message.*set event-bus:allowReplace \(`pulumi config set event-bus:allowReplace true`\)/);
    expect((await bus.admin.jsm.streams.info("ORDERS")).state.messages).toBe(1);
  });

  it("a new name is the engine's replacement, deleting the old stream first, under the usual holds", async () => {
    const { outs } = await streams.create(inputs());
    await publishStored(bus.admin.nc, "orders.1", "x");
    expect(await streams.diff("ORDERS", outs as streams.StreamOutputs, inputs({ name: "ORDERS2", allowReplace: true }))).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: true });
    await expect(streams.deleteStream("ORDERS", outs as streams.StreamOutputs)).rejects.toThrow(/holds 1 messages/);
  });
});

describe("stream provider - guards", () => {
  const bus = useLiveTopology(TOPOLOGIES[0].start);
  const inputs = (extra: Record<string, unknown> = {}) => ({ name: "ORDERS", subjects: ["orders.>"], maxAge: "48h", connection: { servers: bus.topo.urls }, ...extra });

  afterEach(async () => {
    for await (const name of bus.admin.jsm.streams.names()) await bus.admin.jsm.streams.delete(name);
  });

  it("create refuses a sealed stream, saying to seal it after creating it; nothing is made", async () => {
    await expect(streams.create(inputs({ sealed: true }))).rejects.toThrow(/stream ORDERS: a stream can not be created sealed; create it, then set sealed: true/);
    await expect(bus.admin.jsm.streams.info("ORDERS")).rejects.toThrow(/stream not found/);
  });

  it("update of a stream deleted outside Pulumi says so, and makes nothing", async () => {
    const { outs } = await streams.create(inputs());
    await bus.admin.jsm.streams.delete("ORDERS");
    await expect(streams.updateStream("ORDERS", outs as streams.StreamOutputs, inputs({ maxAge: "72h" }))).rejects.toThrow(/stream ORDERS: was deleted outside Pulumi; run `pulumi refresh`/);
    await expect(bus.admin.jsm.streams.info("ORDERS")).rejects.toThrow(/stream not found/);
  });

  it("a stream that differs in what the server can not change in place can not be taken over: the preview's check and the create refuse it even with adoptExisting, and it stays as it was", async () => {
    await addStream(bus.admin.jsm, { name: "ORDERS", subjects: ["orders.>"], max_age: 48 * 3600e9 });
    await publishStored(bus.admin.nc, "orders.1", "kept");
    for (const adoptExisting of [false, true]) {
      const checked = await streams.check({}, inputs({ storage: "memory", adoptExisting }));
      expect(checked.failures).toEqual([{ property: "adoptExisting", reason: expect.stringMatching(/^stream ORDERS: already exists and can not be taken over: storage: "file" -> "memory" \[replace: /) }]);
    }
    await expect(streams.create(inputs({ storage: "memory", adoptExisting: true }))).rejects.toThrow(/^stream ORDERS: can not adopt: storage: "file" -> "memory" \[replace: /);
    const live = await bus.admin.jsm.streams.info("ORDERS");
    expect({ storage: live.config.storage, messages: live.state.messages }).toEqual({ storage: "file", messages: 1 });
    // The same stream with a difference the server makes in place: the check lets it through with adoptExisting.
    const inPlace = await streams.check({}, inputs({ maxAge: "72h", adoptExisting: true }));
    expect({ failures: inPlace.failures, adopting: inPlace.inputs?.adopting }).toEqual({ failures: [], adopting: 'maxAge: "2d" -> "3d"' });
  });
});

describe("stream provider - hand-overs and retirement", () => {
  const bus = useLiveTopology(TOPOLOGIES[0].start);

  it("a claim waits while another stream of the same deployment releases the subjects", async () => {
    const connection = { servers: bus.topo.urls };
    const legacy = await streams.create({ name: "LEGACY", subjects: ["vendor.oura.>", "core.>"], connection });
    const hot = await streams.create({ name: "HOT", connection });
    // Both updates start together, as Pulumi runs independent updates; the claim must not fail.
    const [claimed] = await Promise.all([
      streams.updateStream("HOT", hot.outs as streams.StreamOutputs, { name: "HOT", subjects: ["vendor.>"], connection }),
      new Promise((r) => setTimeout(r, 50)).then(() => streams.updateStream("LEGACY", legacy.outs as streams.StreamOutputs, { name: "LEGACY", subjects: ["core.>"], connection })),
    ]);
    expect(claimed.outs!.subjects).toEqual(["vendor.>"]);
  });

  it("deleteWhenDrained: refused while a consumer has not drained the stream, allowed once it has", async () => {
    const connection = { servers: bus.topo.urls };
    const { outs } = await streams.create({ name: "RETIRING", subjects: ["retiring.>"], deleteWhenDrained: true, connection });
    await bus.admin.jsm.consumers.add("RETIRING", { durable_name: "reader", ack_policy: AckPolicy.Explicit });
    await publishStored(bus.admin.nc, "retiring.a", "1");
    await expect(streams.deleteStream("RETIRING", outs as streams.StreamOutputs)).rejects.toThrow(
      /stream RETIRING: holds 1 messages and its consumers have not drained it \(reader: 1 undelivered, 0 unacknowledged\)/,
    );
    const js = jetstream(bus.admin.nc);
    const consumer = await js.consumers.get("RETIRING", "reader");
    const m = await consumer.next();
    await m!.ackAck();
    await waitFor("the ack to be recorded", async () => {
      const ci = await bus.admin.jsm.consumers.info("RETIRING", "reader");
      return ci.num_pending === 0 && ci.num_ack_pending === 0;
    });
    await streams.deleteStream("RETIRING", outs as streams.StreamOutputs);
    await expect(bus.admin.jsm.streams.info("RETIRING")).rejects.toThrow(/stream not found/);
  });

  it("quietPeriod: a retiring stream is kept until it has received nothing for that long, and says until when", async () => {
    const connection = { servers: bus.topo.urls };
    const { outs } = await streams.create({ name: "RETIRING", subjects: ["retiring.>"], quietPeriod: "2s", connection });
    const empty = { ...(outs as streams.StreamOutputs) };
    await publishStored(bus.admin.nc, "retiring.a", "1");
    const lastTs = (await bus.admin.jsm.streams.info("RETIRING")).state.last_ts;
    const refusal = await streams.deleteStream("RETIRING", empty).catch((e: Error) => e.message);
    expect(refusal).toMatch(/stream RETIRING: received its last message at \S+; it is retired only after 2s without one \(not before \S+\); it stays until then\. Run `pulumi up` again later/);
    // The message it names is the one the server stored last, and the end of the quiet period is 2s after it.
    const [, last, notBefore] = /last message at (\S+);.*\(not before (\S+)\)/.exec(String(refusal))!;
    expect(last).toBe(lastTs);
    expect(notBefore).toBe(new Date(Date.parse(lastTs) + 2_000).toISOString());
    const until = Date.parse(notBefore);
    // Quiet, but a message is stored that no durable has been shown to have read: still refused.
    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now() + 50)));
    await expect(streams.deleteStream("RETIRING", empty)).rejects.toThrow(/holds 1 messages \(\d+ bytes\); refusing to delete it/);
    await streams.deleteStream("RETIRING", { ...empty, deleteWhenDrained: true });
    await expect(bus.admin.jsm.streams.info("RETIRING")).rejects.toThrow(/stream not found/);
  });

  it("claims: subjects a stream gains are claimed at the sequence it had reached; kept subjects keep theirs", async () => {
    const connection = { servers: bus.topo.urls };
    const created = await streams.create({ name: "CLAIMS", subjects: ["a.>"], connection });
    expect(created.outs!.claims).toEqual({ "a.>": 0 });
    for (let i = 0; i < 3; i++) await publishStored(bus.admin.nc, "a.x", String(i));
    const gained = await streams.updateStream("CLAIMS", created.outs as streams.StreamOutputs, { name: "CLAIMS", subjects: ["a.>", "b.>"], connection });
    expect(gained.outs!.claims).toEqual({ "a.>": 0, "b.>": 3 });
    await publishStored(bus.admin.nc, "b.x", "3");
    const lost = await streams.updateStream("CLAIMS", gained.outs as streams.StreamOutputs, { name: "CLAIMS", subjects: ["a.>"], connection });
    expect(lost.outs!.claims).toEqual({ "a.>": 0 });
    const again = await streams.updateStream("CLAIMS", lost.outs as streams.StreamOutputs, { name: "CLAIMS", subjects: ["a.>", "b.>"], connection });
    expect(again.outs!.claims).toEqual({ "a.>": 0, "b.>": 4 });
    // A refresh keeps them; the configuration diff ignores them.
    expect((await streams.read("CLAIMS", again.outs as streams.StreamOutputs)).props!.claims).toEqual({ "a.>": 0, "b.>": 4 });
    await expect(streams.diff("CLAIMS", again.outs as streams.StreamOutputs, { name: "CLAIMS", subjects: ["a.>", "b.>"], connection })).resolves.toMatchObject({ changes: false });
  });

  it("claims survive an up killed right after the claim: the update run again from the old state finds the claim's sequence on the server", async () => {
    const connection = { servers: bus.topo.urls };
    const created = await streams.create({ name: "CLAIMS_KILLED", subjects: ["k-old.>", "k-a.>"], connection });
    for (let i = 0; i < 5; i++) await publishStored(bus.admin.nc, "k-a.x", String(i));
    // Phase 2 once, then back: the stream keeps the 5 messages read by an earlier durable.
    const gained = await streams.updateStream("CLAIMS_KILLED", created.outs as streams.StreamOutputs, { name: "CLAIMS_KILLED", subjects: ["k-old.>", "k-a.>", "k-b.>"], connection });
    expect(gained.outs!.claims).toEqual({ "k-old.>": 0, "k-a.>": 0, "k-b.>": 5 });
    for (let i = 0; i < 2; i++) await publishStored(bus.admin.nc, "k-b.x", String(i));
    const lost = await streams.updateStream("CLAIMS_KILLED", gained.outs as streams.StreamOutputs, { name: "CLAIMS_KILLED", subjects: ["k-old.>", "k-a.>"], connection });
    // The claim again; the engine is killed before it stores the result (state: `lost`).
    const killed = await streams.updateStream("CLAIMS_KILLED", lost.outs as streams.StreamOutputs, { name: "CLAIMS_KILLED", subjects: ["k-old.>", "k-a.>", "k-b.>"], connection });
    expect(killed.outs!.claims).toEqual({ "k-old.>": 0, "k-a.>": 0, "k-b.>": 7 });
    for (let i = 0; i < 3; i++) await publishStored(bus.admin.nc, "k-b.x", `after-${i}`);
    // The rerun: from `lost`, the stream already captures k-b.> -- claimed at 7, not 0 (the durable would read the 2 old ones again), nor 10 (it would skip 3).
    const rerun = await streams.updateStream("CLAIMS_KILLED", lost.outs as streams.StreamOutputs, { name: "CLAIMS_KILLED", subjects: ["k-old.>", "k-a.>", "k-b.>"], connection });
    expect(rerun.outs!.claims).toEqual({ "k-old.>": 0, "k-a.>": 0, "k-b.>": 7 });
    // A refresh from the old state finds it too; the key is the providers', never shown as metadata.
    const refreshed = (await streams.read("CLAIMS_KILLED", lost.outs as streams.StreamOutputs)).props!;
    expect(refreshed.claims).toEqual({ "k-old.>": 0, "k-a.>": 0, "k-b.>": 7 });
    expect(refreshed.metadata).toBeUndefined();
    // Taking the stream over (a create that finds it) keeps the claims it carries.
    const adopted = await streams.create({ name: "CLAIMS_KILLED", subjects: ["k-old.>", "k-a.>", "k-b.>"], connection });
    expect(adopted.outs!.claims).toEqual({ "k-old.>": 0, "k-a.>": 0, "k-b.>": 7 });
    // ...on the server too (its stamp is new; the update that writes it replaces the metadata whole).
    const live = await bus.admin.jsm.streams.info("CLAIMS_KILLED");
    expect(claimsOf(live.config)).toEqual({ "k-old.>": 0, "k-a.>": 0, "k-b.>": 7 });
    expect(live.config.metadata?.["event-bus.owner"]).toBe(adopted.outs!.owner);
    // A claim edited by hand on the server does not move one the state knows: a durable neither skips nor replays for it.
    await bus.admin.jsm.streams.update("CLAIMS_KILLED", { ...live.config, metadata: { ...live.config.metadata, "event-bus.claims": JSON.stringify({ "k-b.>": 10_000 }) } });
    expect((await streams.read("CLAIMS_KILLED", adopted.outs as streams.StreamOutputs)).props!.claims["k-b.>"]).toBe(7);
    // From a state that never saw k-b.> captured, a claim written after it counts, and one past the
    // stream's last sequence is read as the last sequence: a durable never skips what arrives.
    const capped = (await streams.read("CLAIMS_KILLED", lost.outs as streams.StreamOutputs)).props!;
    expect(capped.claims["k-b.>"]).toBe(live.state.last_seq);
  });

  it("an earlier release's outputs: the diff plans the update that writes them again, and a claim known nowhere is recovered from the stream, never taken as 0", async () => {
    const connection = { servers: bus.topo.urls };
    // A stream an earlier release made: it took up.> later in its life, and kept no claim of it.
    await bus.admin.jsm.streams.add({ name: "UPGRADED", subjects: ["early.>"] });
    for (let i = 0; i < 4; i++) await publishStored(bus.admin.nc, "early.x", String(i));
    await bus.admin.jsm.streams.update("UPGRADED", { ...(await bus.admin.jsm.streams.info("UPGRADED")).config, subjects: ["early.>", "up.>"] });
    for (let i = 0; i < 2; i++) await publishStored(bus.admin.nc, "up.x", String(i));
    const adopted = await streams.create({ name: "UPGRADED", subjects: ["early.>", "up.>"], connection });
    // Taken over: a stream the stack did not make holds its subjects since its creation, as its maker set it up.
    expect(adopted.outs!.claims).toEqual({ "early.>": 0, "up.>": 0 });
    // The state of an earlier release: no schema version, no claims, the provider stored as a file loader.
    const { claims: _c, schemaVersion: _v, ...earlier } = adopted.outs as streams.StreamOutputs;
    const stored = { ...earlier, __provider: 'const load = () => require(path.join(dir, "bin/components/providers/stream-provider.js"))' } as unknown as streams.StreamOutputs;
    const news = { name: "UPGRADED", subjects: ["early.>", "up.>"], connection };
    await expect(streams.diff("UPGRADED", stored, news)).resolves.toMatchObject({ changes: true, replaces: [] });
    await expect(streams.diff("UPGRADED", { ...(adopted.outs as streams.StreamOutputs), __provider: 'const p = require("@event-bus/providers/stream.js")' } as streams.StreamOutputs, news)).resolves.toMatchObject({ changes: false });
    // The server's claims gone too (a stream of a release before claims were written there): recovered,
    // early.> from its first message (1), up.> from its first (5): nothing it holds there is skipped.
    await bus.admin.jsm.streams.update("UPGRADED", { ...(await bus.admin.jsm.streams.info("UPGRADED")).config, metadata: {} });
    expect((await streams.read("UPGRADED", stored)).props!.claims).toEqual({ "early.>": 0, "up.>": 4 });
    const upgraded = await streams.updateStream("UPGRADED", stored, news);
    expect(upgraded.outs).toMatchObject({ claims: { "early.>": 0, "up.>": 4 }, schemaVersion: 2 });
    expect(claimsOf((await bus.admin.jsm.streams.info("UPGRADED")).config)).toEqual({ "early.>": 0, "up.>": 4 });
    // A subject it holds no message on is claimed at its last sequence.
    const more = await streams.updateStream("UPGRADED", upgraded.outs as streams.StreamOutputs, { ...news, subjects: ["early.>", "up.>", "none.>"] });
    await bus.admin.jsm.streams.update("UPGRADED", { ...(await bus.admin.jsm.streams.info("UPGRADED")).config, metadata: {} });
    expect((await streams.read("UPGRADED", { ...(more.outs as streams.StreamOutputs), claims: {} })).props!.claims).toEqual({ "early.>": 0, "up.>": 4, "none.>": 6 });
  });

  it("the providers' metadata keys are refused in a user's metadata, by name", async () => {
    for (const key of ["event-bus.claims", "event-bus.owner"]) {
      await expect(streams.create({ name: "RESERVED", subjects: ["r.>"], metadata: { [key]: "x" }, connection: { servers: bus.topo.urls } })).rejects.toThrow(new RegExp(`metadata\\.${key.replace(".", "\\.")}.*the key ${key.replace(".", "\\.")} is reserved`));
    }
  });
});
