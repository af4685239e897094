/**
 * The providers as the engine runs them: serialised like pulumi.dynamic.Resource does, loaded by
 * @pulumi/pulumi's dynamic-provider host in its own node process, and driven over gRPC through
 * Check, Diff, Create, Read, Update and Delete against a real server.
 */
import { openManager, publishStored } from "../helpers/jetstream";
import { getJson, ServerNode, startServer } from "../helpers/nats-servers";
import { isAlive } from "../helpers/pid-ledger";
import { GrpcError, HostedProvider, ProviderHost, serializeCompiledProvider } from "../helpers/provider-host";
import { poll } from "../../components/poll";

const STREAM_URN = "urn:pulumi:test::event-bus::pulumi-nodejs:dynamic/event-bus:Stream::core";
const CONSUMER_URN = "urn:pulumi:test::event-bus::pulumi-nodejs:dynamic/event-bus:Consumer::hrv";

describe("providers through the real dynamic-provider host over gRPC", () => {
  let server: ServerNode;
  let admin: Awaited<ReturnType<typeof openManager>>;
  let host: ProviderHost;
  let streams: HostedProvider;
  let consumers: HostedProvider;

  beforeAll(async () => {
    server = await startServer();
    admin = await openManager([server.url]);
    host = await ProviderHost.start();
    streams = host.provider(await serializeCompiledProvider("stream"));
    consumers = host.provider(await serializeCompiledProvider("consumer"));
  });
  afterAll(async () => {
    await host?.stop();
    await admin?.close();
    await server?.stop();
  });

  const providerConnections = async () => {
    const connz = (await getJson(`${server.monitorUrl}/connz`)) as { connections?: Array<{ name?: string }> };
    return (connz.connections ?? []).filter((c) => c.name === "event-bus-pulumi-provider").length;
  };

  const core = (extra: Record<string, unknown> = {}) => ({ name: "AA_CORE_HOT", subjects: ["athlete-ally.>", "sleep.*"], maxAge: "48h", connection: { servers: [server.url] }, ...extra });
  const hrv = (extra: Record<string, unknown> = {}) => ({
    stream: "AA_CORE_HOT",
    durableName: "normalize-hrv-durable",
    filterSubject: "athlete-ally.hrv.raw-received",
    maxDeliver: 5,
    ackWait: "60s",
    maxAckPending: 1000,
    connection: { servers: [server.url] },
    ...extra,
  });

  it("the serialised provider holds no logic, no credentials and no file path: only the package entry that names it", () => {
    expect(streams.providerText).toContain('require("@event-bus/providers/stream.js")');
    expect(consumers.providerText).toContain('require("@event-bus/providers/consumer.js")');
    expect(streams.providerText).not.toMatch(/zod|JetStream|password|bin\/|components\//i);
    expect(streams.providerText.length).toBeLessThan(400);
  });

  it("walks a stream and a consumer through Check, Diff, Create, Read, Update and Delete", async () => {
    const checked = await streams.check(STREAM_URN, {}, core());
    expect(checked.failures).toEqual([]);

    const created = await streams.create(STREAM_URN, checked.inputs);
    expect(created.id).toBe("AA_CORE_HOT");
    expect(created.outs).toMatchObject({ name: "AA_CORE_HOT", maxAge: "2d", subjects: ["athlete-ally.>", "sleep.*"] });
    expect((await admin.jsm.streams.info("AA_CORE_HOT")).config.max_age).toBe(48 * 3600e9);

    const consumer = await consumers.create(CONSUMER_URN, (await consumers.check(CONSUMER_URN, {}, hrv())).inputs);
    expect(consumer.id).toBe("AA_CORE_HOT/normalize-hrv-durable");

    expect(await streams.diff(STREAM_URN, created.id, created.outs, core())).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: true });
    expect(await streams.diff(STREAM_URN, created.id, created.outs, core({ maxAge: "72h" }))).toMatchObject({ changes: "some", replaces: [] });

    const updated = await streams.update(STREAM_URN, created.id, created.outs, core({ maxAge: "72h" }));
    expect(updated.outs.maxAge).toBe("3d");

    await admin.jsm.streams.update("AA_CORE_HOT", { max_msgs: 10 });
    const refreshed = await streams.read(STREAM_URN, created.id, updated.outs);
    expect(refreshed).toMatchObject({ id: "AA_CORE_HOT", outs: { maxMsgs: 10 } });

    await consumers.delete(CONSUMER_URN, consumer.id, consumer.outs);
    await streams.delete(STREAM_URN, created.id, refreshed.outs);
    await expect(admin.jsm.streams.info("AA_CORE_HOT")).rejects.toThrow(/stream not found/);
    const gone = await streams.read(STREAM_URN, created.id, refreshed.outs);
    expect(gone.id).toBe(""); // an empty id tells the engine the stream no longer exists
    expect(Object.keys(gone.outs)).toEqual(["__provider"]);
  });

  it("reports check failures with their field paths", async () => {
    const r = await streams.check(STREAM_URN, {}, core({ maxAge: "48", replicas: 9 }));
    expect(r.failures).toEqual([
      { property: "replicas", reason: expect.stringMatching(/1 to 5/) },
      { property: "maxAge", reason: expect.stringMatching(/expected a duration/) },
    ]);
  });

  it("fails a diff that would need an unallowed replace, naming the field and why", async () => {
    const created = await streams.create(STREAM_URN, core({ name: "AA_DLQ", subjects: ["dlq.>"], maxAge: "14d" }));
    const err = (await streams.diff(STREAM_URN, created.id, created.outs, core({ name: "AA_DLQ", subjects: ["dlq.>"], maxAge: "14d", storage: "memory" })).catch((e) => e)) as GrpcError;
    expect(err.details).toMatch(/stream AA_DLQ: storage: "file" -> "memory" \[replace: .*err_code 10052.*set event-bus:allowReplace \(`pulumi config set event-bus:allowReplace true`\)/);
    await streams.delete(STREAM_URN, created.id, created.outs);
  });

  it("passes errors from the server through with the resource and err_code, and refuses to delete data", async () => {
    const created = await streams.create(STREAM_URN, core({ name: "LEGACY", subjects: ["vendor.oura.>"] }));
    const overlap = (await streams.create(STREAM_URN, core({ name: "AA_VENDOR_HOT", subjects: ["vendor.>"], handoverWaitMs: 200 })).catch((e) => e)) as GrpcError;
    expect(overlap.details).toMatch(/stream AA_VENDOR_HOT: create: subjects overlap .*err_code 10065.*stream LEGACY/);
    await publishStored(admin.nc, "vendor.oura.sleep", "{}");
    const refused = (await streams.delete(STREAM_URN, created.id, created.outs).catch((e) => e)) as GrpcError;
    expect(refused.details).toMatch(/stream LEGACY: holds 1 messages/);
    await streams.delete(STREAM_URN, created.id, { ...created.outs, forceDelete: true });
  });

  it("shares one connection across every stream and consumer operation, and closes it when the host ends", async () => {
    expect(await providerConnections()).toBe(1);
    const second = await ProviderHost.start();
    const other = second.provider(streams.providerText);
    const created = await other.create(STREAM_URN, core({ name: "ANOTHER", subjects: ["another.>"] }));
    await other.delete(STREAM_URN, created.id, created.outs);
    expect(await providerConnections()).toBe(2);
    const pid = second.pid();
    await second.stop();
    expect(isAlive(pid)).toBe(false);
    // The ended host leaves no connection behind on the server.
    let open = 0;
    await poll({ timeoutMs: 1_000, intervalMs: 25 }, async () => ((open = await providerConnections()) === 1 ? true : undefined));
    expect(open).toBe(1);
  });
});
