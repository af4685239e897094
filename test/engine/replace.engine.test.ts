/**
 * A change the server refuses on the same stream, through the real engine: refused in the preview
 * without allowReplace (nothing changes); with it, the preview names what the update will
 * recreate (`replacing`), and `pulumi up` recreates the stream in one update. The approval is in
 * the inputs of that update: the engine re-checks a replacement's inputs as if nothing existed
 * and deletes with the old state, so neither could carry it.
 */
import { closeConnections } from "../../components/jetstream/client";
import { engineStack, plannedOps, type EngineStack } from "../helpers/engine";
import { openManager, publishStored } from "../helpers/jetstream";
import { startServer, type ServerNode } from "../helpers/nats-servers";

describe("engine - a stream recreated by an allowed update", () => {
  let server: ServerNode;
  let stack: EngineStack;
  beforeAll(async () => {
    server = await startServer();
    const extra = [{ kind: "stream", name: "orders", args: { name: "ORDERS", subjects: ["orders.>"] } }];
    stack = await engineStack("local", { overrides: { nats: { servers: [server.url] }, "fixture:extra": extra }, program: "extra-resources.js" });
  });
  afterAll(async () => {
    await closeConnections();
    stack?.remove();
    await server?.stop();
  });

  it("refused without allowReplace, then an update that recreates it with it", async () => {
    await stack.ok(["up", "--yes"]);
    const { nc, jsm, close } = await openManager([server.url]);
    try {
      await publishStored(nc, "orders.1", "kept until the replace is allowed");
      await stack.ok(["config", "set", "--path", "fixture:extra[0].args.storage", "memory"]);
      const refused = await stack.run(["preview"]);
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(/stream ORDERS: storage: "file" -> "memory" \[replace: .*err_code 10052.*set event-bus:allowReplace \(`pulumi config set event-bus:allowReplace true`\)/);
      expect((await jsm.streams.info("ORDERS")).state.messages).toBe(1);

      await stack.ok(["config", "set", "--path", "--type", "bool", "fixture:extra[0].args.allowReplace", "true"]);
      const preview = await stack.ok(["preview", "--json", "--diff"]);
      expect(plannedOps(preview.stdout)).toEqual({ update: 1 });
      const steps = JSON.parse(preview.stdout).steps as Array<{ urn: string; newState?: { inputs: Record<string, unknown> } }>;
      const orders = steps.find((st) => st.urn.endsWith("::orders"));
      expect(orders?.newState?.inputs.replacing).toBe('storage: "file" -> "memory" [replace: the server can not change storage type (err_code 10052)]');
      await stack.ok(["up", "--yes"]);
      const live = await jsm.streams.info("ORDERS");
      expect({ storage: live.config.storage, messages: live.state.messages }).toEqual({ storage: "memory", messages: 0 });
      await stack.ok(["preview", "--expect-no-changes"]);
    } finally {
      await close();
    }
  }, 180_000);
});
