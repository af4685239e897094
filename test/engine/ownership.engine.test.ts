/**
 * A resource never deletes what another resource, or another stack, has taken over, through the
 * real engine: `pulumi up --replace` of a durable and of a stream that holds a message, a durable
 * renamed without an alias, and a second stack on the same server followed by the first one's
 * `destroy`. Each ends with the stream, its message and the durable still on the server, and a
 * preview with nothing to do.
 */
import { closeConnections } from "../../components/jetstream/client";
import { OWNER_KEY } from "../../components/jetstream/ownership";
import { engineStack, ORDERS_WITH_READER as EXTRA, type EngineStack } from "../helpers/engine";
import { openManager, publishStored } from "../helpers/jetstream";
import { startServer, type ServerNode } from "../helpers/nats-servers";


describe("engine - ownership of what a replacement or another stack takes over", () => {
  let server: ServerNode;
  let first: EngineStack;
  let second: EngineStack | undefined;
  let admin: Awaited<ReturnType<typeof openManager>>;
  beforeAll(async () => {
    server = await startServer();
    admin = await openManager([server.url]);
    first = await engineStack("local", { overrides: { nats: { servers: [server.url] }, "fixture:extra": EXTRA }, program: "extra-resources.js" });
  });
  afterAll(async () => {
    await admin?.close();
    await closeConnections();
    first?.remove();
    second?.remove();
    await server?.stop();
  });

  const urnOf = async (stack: EngineStack, name: string) => {
    const exported = JSON.parse((await stack.ok(["stack", "export"])).stdout) as { deployment: { resources: Array<{ urn: string }> } };
    const urn = exported.deployment.resources.map((r) => r.urn).find((u) => u.endsWith(`::${name}`));
    if (!urn) throw new Error(`no resource ${name} in the stack`);
    return urn;
  };
  /** What the server holds of the extra resources, and whose stamp each carries. */
  const live = async () => {
    const stream = await admin.jsm.streams.info("ORDERS");
    const reader = await admin.jsm.consumers.info("ORDERS", "reader");
    return { messages: stream.state.messages, streamOwner: stream.config.metadata?.[OWNER_KEY], readerOwner: reader.config.metadata?.[OWNER_KEY], delivered: reader.delivered.stream_seq };
  };

  it("a replaced durable and a replaced stream stay on the server, stamped by their new resources", async () => {
    await first.ok(["up", "--yes", "--skip-preview"]);
    await publishStored(admin.nc, "orders.1", "kept through every replacement");
    const created = await live();
    expect(created).toMatchObject({ messages: 1 });
    expect(created.streamOwner).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.readerOwner).toMatch(/^[0-9a-f-]{36}$/);

    const replacedReader = await first.ok(["up", "--yes", "--skip-preview", "--replace", await urnOf(first, "orders-reader")]);
    expect(replacedReader.stdout).toMatch(/\+-\s*1 replaced/);
    const afterReader = await live();
    expect(afterReader.messages).toBe(1);
    expect(afterReader.readerOwner).not.toBe(created.readerOwner);

    const replacedStream = await first.ok(["up", "--yes", "--skip-preview", "--replace", await urnOf(first, "orders")]);
    expect(replacedStream.stdout).toMatch(/\+-\s*1 replaced/);
    const afterStream = await live();
    expect(afterStream.messages).toBe(1);
    expect(afterStream.streamOwner).not.toBe(created.streamOwner);
    expect(afterStream.readerOwner).toBe(afterReader.readerOwner);
    await first.ok(["preview", "--expect-no-changes"]);
  }, 240_000);

  it("a durable renamed without an alias is taken over by the new name, not deleted by the old one", async () => {
    const before = await live();
    await first.ok(["config", "set", "--path", "fixture:extra[1].name", "orders-reader-renamed"]);
    const renamed = await first.ok(["up", "--yes", "--skip-preview"]);
    expect(renamed.stdout).toMatch(/\+ 1 created/);
    expect(renamed.stdout).toMatch(/- 1 deleted/);
    const after = await live();
    expect(after.messages).toBe(1);
    expect(after.readerOwner).not.toBe(before.readerOwner);
    expect(await urnOf(first, "orders-reader-renamed")).toMatch(/orders-reader-renamed$/);
    await first.ok(["preview", "--expect-no-changes"]);
  }, 240_000);

  it("a second stack takes the same bus over; destroying the first deletes nothing the second owns", async () => {
    const extra = [EXTRA[0], { ...EXTRA[1], name: "orders-reader-renamed" }];
    second = await engineStack("local", { overrides: { nats: { servers: [server.url] }, "fixture:extra": extra }, program: "extra-resources.js" });
    await second.ok(["up", "--yes", "--skip-preview"]);
    const taken = await live();
    const streamsBefore = (await admin.jsm.streams.names().next()).sort();

    const destroyed = await first.ok(["destroy", "--yes", "--skip-preview"]);
    expect(destroyed.stdout).toMatch(/deleted/);
    const after = await live();
    expect(after).toEqual(taken);
    expect((await admin.jsm.streams.names().next()).sort()).toEqual(streamsBefore);
    // The owner still manages them: nothing to do.
    await second.ok(["preview", "--expect-no-changes"]);
  }, 240_000);
});
