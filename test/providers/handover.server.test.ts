/**
 * A hand-over of subjects between the program's streams against real servers (one, and a 3-node
 * cluster): the releasing stream keeps what the claimant will take, the claimant takes it right
 * before its own update, and a claim that fails gives it back, so the subjects are never left to
 * no stream.
 */
import * as streams from "../../components/providers/stream-provider";
import { withGiveBackFailure } from "../../components/providers/stream-provider";
import { carryMarked, keptForClaim, take, takeable } from "../../components/providers/handover";
import { CARRIED_FROM_HEADER, carriesOf } from "../../components/jetstream/carry";
import { claimsOf } from "../../components/jetstream/claims";
import { addStream, publishStored } from "../helpers/jetstream";
import { describeEachTopology, useLiveTopology } from "../helpers/topologies";

describe("hand-over - a give-back that fails after a failed claim", () => {
  it("keeps the claim's own error, and adds what may now be captured by no stream", () => {
    const claim = Object.assign(new Error("stream CORE: update: subjects overlap with an existing stream"), { errCode: 10065 });
    const err = withGiveBackFailure(claim, [{ from: "LEGACY", subjects: ["orders.>"], claims: {} }], new Error("stream LEGACY: read: no answer"));
    expect(err.message).toBe("stream CORE: update: subjects overlap with an existing stream; giving orders.> to stream LEGACY back failed too (stream LEGACY: read: no answer), so no stream may capture them now: run `pulumi up` again");
  });
});

describe("hand-over plans", () => {
  const handover = { LEGACY: ["sleep.*"], CORE: ["athlete-ally.>"], VENDOR: ["vendor.>"] };
  it("a releasing stream keeps only what another stream of the program claims", () => {
    expect(keptForClaim("LEGACY", ["athlete-ally.>", "vendor.oura.>", "sleep.*", "old.>"], ["sleep.*"], handover)).toEqual(["athlete-ally.>", "vendor.oura.>"]);
    expect(keptForClaim("LEGACY", ["athlete-ally.>"], [], undefined)).toEqual([]);
    expect(keptForClaim("LEGACY", ["LEGACY"], [], handover)).toEqual([]);
  });
  it("a claimant takes from the program's streams only what they no longer want", () => {
    const holders = [
      { name: "LEGACY", subjects: ["athlete-ally.>", "vendor.oura.>", "sleep.*"] },
      { name: "OTHER", subjects: ["vendor.acme.>"] },
    ];
    expect(takeable("VENDOR", ["vendor.>"], holders, handover)).toEqual([{ name: "LEGACY", give: ["vendor.oura.>"] }]);
    expect(takeable("CORE", ["athlete-ally.>", "sleep.*"], holders, handover)).toEqual([{ name: "LEGACY", give: ["athlete-ally.>"] }]);
  });
});

describeEachTopology("hand-over on a $kind", ({ start }) => {
  const bus = useLiveTopology(start);
  const stream = (name: string, subjects: string[], handover: Record<string, string[]>, extra: Record<string, unknown> = {}) => ({
    name,
    subjects,
    replicas: bus.topo.replicas,
    handover,
    handoverWaitMs: 300,
    connection: { servers: bus.topo.urls },
    ...extra,
  });
  const subjectsOf = async (name: string) => (await bus.admin.jsm.streams.info(name)).config.subjects;

  afterEach(async () => {
    for await (const name of bus.admin.jsm.streams.names()) await bus.admin.jsm.streams.delete(name);
  });

  it("the releasing stream keeps the subjects until the claimant takes them, and records only what it wants", async () => {
    const before = { LEGACY: ["orders.>", "sleep.*"], CORE: [] as string[] };
    const after = { LEGACY: ["sleep.*"], CORE: ["orders.>"] };
    const legacy = await streams.create(stream("LEGACY", before.LEGACY, before));
    const core = await streams.create(stream("CORE", before.CORE, before));
    await publishStored(bus.admin.nc, "orders.1", "before the hand-over");

    // The release runs first: nothing is left uncaptured, and the state says what the stream wants.
    const released = await streams.updateStream("LEGACY", legacy.outs as streams.StreamOutputs, stream("LEGACY", after.LEGACY, after));
    expect(await subjectsOf("LEGACY")).toEqual(["sleep.*", "orders.>"]);
    expect(released.outs!.subjects).toEqual(["sleep.*"]);
    expect((await publishStored(bus.admin.nc, "orders.2", "between")).stream).toBe("LEGACY");

    // The claim takes them.
    const claimed = await streams.updateStream("CORE", core.outs as streams.StreamOutputs, stream("CORE", after.CORE, after));
    expect(await subjectsOf("LEGACY")).toEqual(["sleep.*"]);
    expect(await subjectsOf("CORE")).toEqual(["orders.>"]);
    expect(claimed.outs!.claims).toEqual({ "orders.>": 0 });
    // The holder's claim went with the subject: were it given back by hand one day, it would not
    // say where the holder claimed it an incarnation ago.
    expect(claimsOf((await bus.admin.jsm.streams.info("LEGACY")).config)).toEqual({ "sleep.*": 0 });
    expect((await publishStored(bus.admin.nc, "orders.3", "after")).stream).toBe("CORE");
  });

  it("the claim runs first (as with --parallel 1): it takes the subjects at once instead of waiting for a release", async () => {
    const before = { LEGACY: ["orders.>"], CORE: [] as string[] };
    const after = { LEGACY: [] as string[], CORE: ["orders.>"] };
    const legacy = await streams.create(stream("LEGACY", before.LEGACY, before));
    const core = await streams.create(stream("CORE", before.CORE, before));
    // A claim that waited for the release would wait all of handoverWaitMs (no release comes), so
    // the wait is long enough that a take and an update on a slow machine stay far below it.
    const handoverWaitMs = 40_000;
    const began = Date.now();
    await streams.updateStream("CORE", core.outs as streams.StreamOutputs, stream("CORE", after.CORE, after, { handoverWaitMs }));
    expect(Date.now() - began).toBeLessThan(handoverWaitMs);
    expect(await subjectsOf("CORE")).toEqual(["orders.>"]);
    // Taken from the stream that held them, which no release had given up.
    expect(await subjectsOf("LEGACY")).toEqual(["LEGACY"]);
    // The release that runs after finds nothing to keep.
    const released = await streams.updateStream("LEGACY", legacy.outs as streams.StreamOutputs, stream("LEGACY", after.LEGACY, after));
    expect(released.outs!.subjects).toEqual(["LEGACY"]); // capturing nothing: its own name only
    expect(await subjectsOf("LEGACY")).toEqual(["LEGACY"]);
  });

  it("a claimant created in the step takes its subjects from the program's stream that holds them", async () => {
    const after = { LEGACY: ["sleep.*"], CORE: ["orders.>"] };
    await streams.create(stream("LEGACY", ["orders.>", "sleep.*"], { LEGACY: ["orders.>", "sleep.*"] }));
    await publishStored(bus.admin.nc, "orders.1", "before the hand-over");
    // CORE does not exist yet: the take reads its durables (none) before it is made.
    const created = await streams.create(stream("CORE", after.CORE, after));
    expect(created.outs!.subjects).toEqual(["orders.>"]);
    expect(await subjectsOf("LEGACY")).toEqual(["sleep.*"]);
    expect((await publishStored(bus.admin.nc, "orders.2", "after")).stream).toBe("CORE");
  });

  it("a take never undoes the holder's own update running beside it (max age, description): each round ends with both", async () => {
    for (let round = 0; round < 8; round++) {
      const before = { LEGACY: ["orders.>", "sleep.*"], CORE: [] as string[] };
      const after = { LEGACY: ["sleep.*"], CORE: ["orders.>"] };
      const legacy = await streams.create(stream("LEGACY", before.LEGACY, before, { maxAge: "1h", description: "before" }));
      const core = await streams.create(stream("CORE", before.CORE, before));
      // The engine runs both updates at once: the release with its own changes, and the claim.
      await Promise.all([
        streams.updateStream("LEGACY", legacy.outs as streams.StreamOutputs, stream("LEGACY", after.LEGACY, after, { maxAge: "2h", description: `round ${round}` })),
        streams.updateStream("CORE", core.outs as streams.StreamOutputs, stream("CORE", after.CORE, after)),
      ]);
      const live = (await bus.admin.jsm.streams.info("LEGACY")).config;
      expect({ round, subjects: live.subjects, maxAge: live.max_age, description: live.description }).toEqual({ round, subjects: ["sleep.*"], maxAge: 2 * 3600 * 1e9, description: `round ${round}` });
      expect(await subjectsOf("CORE")).toEqual(["orders.>"]);
      for await (const name of bus.admin.jsm.streams.names()) await bus.admin.jsm.streams.delete(name);
    }
  });

  it("the step back from phase 1: giving vendor.> up for vendor.oura.> is refused while another vendor's events are stored there, before anything changes; with only Oura's it goes", async () => {
    const before = { LEGACY: ["athlete-ally.>"], VENDOR: ["vendor.>"] };
    const after = { LEGACY: ["athlete-ally.>", "vendor.oura.>"], VENDOR: [] as string[] };
    const legacy = await streams.create(stream("LEGACY", before.LEGACY, before));
    await streams.create(stream("VENDOR", before.VENDOR, before));
    await publishStored(bus.admin.nc, "vendor.oura.sleep", "oura");
    // A publisher that began sending another vendor's webhooks during phase 1.
    await publishStored(bus.admin.nc, "vendor.acme.sleep", "acme");
    await expect(streams.updateStream("LEGACY", legacy.outs as streams.StreamOutputs, stream("LEGACY", after.LEGACY, after))).rejects.toThrow(
      /stream LEGACY: taking vendor\.> from stream VENDOR for athlete-ally\.>, vendor\.oura\.> would leave vendor\.acme\.sleep \(1 stored in VENDOR\) captured by no stream/,
    );
    expect(await subjectsOf("VENDOR")).toEqual(["vendor.>"]);
    expect(await subjectsOf("LEGACY")).toEqual(["athlete-ally.>"]);
    expect((await publishStored(bus.admin.nc, "vendor.acme.sleep", "still captured")).stream).toBe("VENDOR");
    // Once those publishers have moved and their messages are purged, the step back goes.
    await bus.admin.jsm.streams.purge("VENDOR", { filter: "vendor.acme.>" });
    await streams.updateStream("LEGACY", legacy.outs as streams.StreamOutputs, stream("LEGACY", after.LEGACY, after));
    expect(await subjectsOf("LEGACY")).toEqual(["athlete-ally.>", "vendor.oura.>"]);
  });

  it("a step back after a refused durable move, killed between the take and the copy: the holder keeps the mark through its own update, the rerun copies each message once", async () => {
    const forward = { LEGACY: [] as string[], CORE: ["orders.>"] };
    const back = { LEGACY: ["orders.>"], CORE: [] as string[] };
    const legacy = await streams.create(stream("LEGACY", ["orders.>"], { LEGACY: ["orders.>"], CORE: [] }));
    const core = await streams.create(stream("CORE", [], { LEGACY: ["orders.>"], CORE: [] }));
    await bus.admin.jsm.consumers.add("LEGACY", { durable_name: "reader", filter_subject: "orders.>", ack_policy: "explicit" as never });
    await publishStored(bus.admin.nc, "orders.1", "read on LEGACY");
    // The forward step: CORE claims orders.>; the durable's move is refused, so none reads it there.
    const claimed = await streams.updateStream("CORE", core.outs as streams.StreamOutputs, stream("CORE", forward.CORE, forward));
    const stranded = [];
    for (let i = 0; i < 3; i++) stranded.push(await publishStored(bus.admin.nc, `orders.${i}`, `window-${i}`));
    expect(stranded.map((s) => s.stream)).toEqual(["CORE", "CORE", "CORE"]);

    // The step back's take, then the kill: the mark is on CORE, in the write that gave the subjects up.
    const c = { servers: bus.topo.urls };
    const { manager } = await import("../../components/jetstream/client");
    const jsm = await manager(c);
    await take(jsm, "LEGACY", back.LEGACY, back, c);
    expect(await subjectsOf("CORE")).toEqual(["CORE"]);
    expect(carriesOf((await bus.admin.jsm.streams.info("CORE")).config)).toEqual({ LEGACY: { "orders.>": { after: 0, through: 3 } } });
    // The rerun: CORE's own update first (it replaces its metadata whole) keeps the mark.
    await streams.updateStream("CORE", claimed.outs as streams.StreamOutputs, stream("CORE", back.CORE, back));
    expect(Object.keys(carriesOf((await bus.admin.jsm.streams.info("CORE")).config))).toEqual(["LEGACY"]);
    // Then LEGACY's claim copies the three and clears the mark.
    await streams.updateStream("LEGACY", legacy.outs as streams.StreamOutputs, stream("LEGACY", back.LEGACY, back));
    expect(carriesOf((await bus.admin.jsm.streams.info("CORE")).config)).toEqual({});
    const durable = await bus.admin.jsm.consumers.info("LEGACY", "reader");
    expect(durable.num_pending).toBe(4);
    const copied = [];
    for (let seq = 2; seq <= 4; seq++) {
      const m = await bus.admin.jsm.streams.getMessage("LEGACY", { seq });
      copied.push(`${m!.subject} ${m!.string()} ${m!.header.get(CARRIED_FROM_HEADER)}`);
    }
    expect(copied).toEqual(stranded.map((s, i) => `orders.${i} window-${i} CORE:${s.seq}`));
    // Nothing is marked any more: a second copy run copies none.
    expect(await carryMarked(jsm, "LEGACY", back, c)).toBe(0);
    expect((await bus.admin.jsm.streams.info("LEGACY")).state.messages).toBe(4);
  });

  it("no mark where the holder has a durable reading the subjects (a durable moved there drains there), nor where the claimant has none", async () => {
    const forward = { LEGACY: [] as string[], CORE: ["orders.>", "audit.>"] };
    const back = { LEGACY: ["orders.>", "audit.>"], CORE: [] as string[] };
    await streams.create(stream("LEGACY", ["orders.>", "audit.>"], { LEGACY: back.LEGACY, CORE: [] }));
    const core = await streams.create(stream("CORE", [], { LEGACY: back.LEGACY, CORE: [] }));
    await bus.admin.jsm.consumers.add("LEGACY", { durable_name: "orders", filter_subject: "orders.>", ack_policy: "explicit" as never });
    await streams.updateStream("CORE", core.outs as streams.StreamOutputs, stream("CORE", forward.CORE, forward));
    await bus.admin.jsm.consumers.add("CORE", { durable_name: "orders", filter_subject: "orders.>", ack_policy: "explicit" as never });
    await publishStored(bus.admin.nc, "orders.1", "read by CORE's durable");
    await publishStored(bus.admin.nc, "audit.1", "read by no durable anywhere");
    const c = { servers: bus.topo.urls };
    const { manager } = await import("../../components/jetstream/client");
    await take(await manager(c), "LEGACY", back.LEGACY, back, c);
    expect(carriesOf((await bus.admin.jsm.streams.info("CORE")).config)).toEqual({});
  });

  it("a take from a stream another stack stamped is refused before anything changes, naming that stack", async () => {
    const before = { LEGACY: ["orders.>"], CORE: [] as string[] };
    const after = { LEGACY: [] as string[], CORE: ["orders.>"] };
    await streams.create(stream("LEGACY", before.LEGACY, before, { stack: "acme/event-bus/production" }));
    const core = await streams.create(stream("CORE", before.CORE, before, { stack: "acme/event-bus/staging" }));
    const legacyBefore = (await bus.admin.jsm.streams.info("LEGACY")).config;
    await expect(streams.updateStream("CORE", core.outs as streams.StreamOutputs, stream("CORE", after.CORE, after, { stack: "acme/event-bus/staging" }))).rejects.toThrow(
      /stream CORE: taking orders\.> from stream LEGACY: belongs to Pulumi stack acme\/event-bus\/production \(event-bus\.stack on the server\), not to acme\/event-bus\/staging.*Nothing was changed/,
    );
    expect((await bus.admin.jsm.streams.info("LEGACY")).config).toEqual(legacyBefore);
    expect(await subjectsOf("CORE")).toEqual(["CORE"]);
    expect((await publishStored(bus.admin.nc, "orders.1", "still captured")).stream).toBe("LEGACY");
  });

  it("a stream that already exists (made by the seeds' script) and is taken over in the step where it claims subjects takes them through the hand-over", async () => {
    const before = { LEGACY: ["orders.>"], CORE: [] as string[] };
    const after = { LEGACY: [] as string[], CORE: ["orders.>"] };
    const legacy = await streams.create(stream("LEGACY", before.LEGACY, before));
    // create-streams.js made CORE before this phase: other settings, no subjects of the program's.
    await addStream(bus.admin.jsm, { name: "CORE", subjects: ["CORE"], max_age: 3600e9, num_replicas: bus.topo.replicas });
    await publishStored(bus.admin.nc, "orders.1", "before");
    const adopted = await streams.create(stream("CORE", after.CORE, after, { adoptExisting: true, maxAge: "48h" }));
    expect(adopted.outs).toMatchObject({ subjects: ["orders.>"], maxAge: "2d" });
    expect(await subjectsOf("CORE")).toEqual(["orders.>"]);
    expect(await subjectsOf("LEGACY")).toEqual(["LEGACY"]);
    expect((await publishStored(bus.admin.nc, "orders.2", "after")).stream).toBe("CORE");
    // The release that runs after finds nothing left to keep.
    await streams.updateStream("LEGACY", legacy.outs as streams.StreamOutputs, stream("LEGACY", after.LEGACY, after));
    expect((await bus.admin.jsm.streams.info("LEGACY")).state.messages).toBe(1);
  });

  it("messages a releasing stream stored after its own update, until the take, are not processed again when the subjects come back by hand", async () => {
    const before = { LEGACY: ["orders.>"], CORE: [] as string[] };
    const after = { LEGACY: [] as string[], CORE: ["orders.>"] };
    const legacy = await streams.create(stream("LEGACY", before.LEGACY, before));
    const core = await streams.create(stream("CORE", before.CORE, before));
    // The release runs first: LEGACY keeps orders.> for CORE, and its state records its last sequence (0).
    const released = await streams.updateStream("LEGACY", legacy.outs as streams.StreamOutputs, stream("LEGACY", after.LEGACY, after));
    expect(released.outs!.lastSeq).toBe(0);
    // Until the take, orders still arrive there (and the durable still there reads them).
    for (let i = 0; i < 3; i++) expect((await publishStored(bus.admin.nc, `orders.${i}`, "before the take")).stream).toBe("LEGACY");
    await streams.updateStream("CORE", core.outs as streams.StreamOutputs, stream("CORE", after.CORE, after));
    // The seeds' rollback by hand: the subjects go back to LEGACY with `nats stream edit` (its metadata kept).
    for (const [name, subjects] of [["CORE", ["CORE"]], ["LEGACY", ["orders.>"]]] as const) {
      const config = (await bus.admin.jsm.streams.info(name)).config;
      await bus.admin.jsm.streams.update(name, { ...config, subjects: [...subjects] });
    }
    expect((await publishStored(bus.admin.nc, "orders.9", "after the hand rollback")).seq).toBe(4);
    // The stack's step back finds LEGACY capturing orders.> again: its durable starts after the 3, not before them.
    const back = await streams.updateStream("LEGACY", released.outs as streams.StreamOutputs, stream("LEGACY", before.LEGACY, { LEGACY: before.LEGACY, CORE: [] }));
    expect(back.outs!.claims["orders.>"]).toBe(3);
  });

  it("a claim that fails after the take gives the subjects back: they stay captured", async () => {
    const before = { LEGACY: ["orders.>"], CORE: [] as string[] };
    const after = { LEGACY: [] as string[], CORE: ["orders.>", "audit.>"] };
    await streams.create(stream("LEGACY", before.LEGACY, before));
    const core = await streams.create(stream("CORE", before.CORE, before));
    // A stream outside the program holds part of what the claim wants: the server refuses the claim.
    await addStream(bus.admin.jsm, { name: "AUDIT", subjects: ["audit.>"], num_replicas: bus.topo.replicas });
    await expect(streams.updateStream("CORE", core.outs as streams.StreamOutputs, stream("CORE", after.CORE, after))).rejects.toThrow(/"audit\.>" collides with "audit\.>" of stream AUDIT/);
    expect(await subjectsOf("LEGACY")).toEqual(["orders.>"]);
    expect(await subjectsOf("CORE")).toEqual(["CORE"]);
    expect((await publishStored(bus.admin.nc, "orders.1", "still captured")).stream).toBe("LEGACY");
  });

  it("a claim blocked by a stream outside the program fails at once and gives back what it took, instead of waiting with it taken", async () => {
    const before = { LEGACY: ["orders.>"], CORE: [] as string[] };
    const after = { LEGACY: [] as string[], CORE: ["orders.>", "audit.>"] };
    await streams.create(stream("LEGACY", before.LEGACY, before));
    const core = await streams.create(stream("CORE", before.CORE, before));
    await addStream(bus.admin.jsm, { name: "AUDIT", subjects: ["audit.>"], num_replicas: bus.topo.replicas });
    // Nothing in the deployment will release audit.>: waiting (handoverWaitMs) would only leave orders.> uncaptured meanwhile.
    const handoverWaitMs = 60_000;
    const began = Date.now();
    await expect(streams.updateStream("CORE", core.outs as streams.StreamOutputs, stream("CORE", after.CORE, after, { handoverWaitMs }))).rejects.toThrow(/"audit\.>" collides with "audit\.>" of stream AUDIT/);
    // A claim that waited would take all of handoverWaitMs; failing at once takes a few round trips.
    expect(Date.now() - began).toBeLessThan(handoverWaitMs / 2);
    expect(await subjectsOf("LEGACY")).toEqual(["orders.>"]);
  }, 90_000);
});
