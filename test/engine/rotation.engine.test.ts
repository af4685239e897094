/**
 * Rotating `event-bus:natsPassword` works in every step of an `up`, through the real engine: the
 * server takes only the new password, and the same `up` that carries it removes a durable (a
 * delete, which has only the state's stored connection). Then `refresh` and `destroy` sign in with
 * the password the stack configuration gives after another rotation, with `--run-program` (without
 * it the engine configures every provider from the state, as the RUNBOOK says).
 */
import * as fs from "node:fs";
import { randomBytes } from "node:crypto";
import { closeConnections } from "../../components/jetstream/client";
import { engineStack, ORDERS_WITH_READER as EXTRA, type EngineStack } from "../helpers/engine";
import { openManager } from "../helpers/jetstream";
import { startServer, type ServerNode } from "../helpers/nats-servers";

const password = () => `pw-${randomBytes(12).toString("hex")}`;

describe("engine - a password rotated in the same up as a removal", () => {
  let server: ServerNode;
  let stack: EngineStack;
  let current = password();
  beforeAll(async () => {
    server = await startServer({ extraConfig: `authorization { users: [ { user: "admin", password: "${current}" } ] }` });
    stack = await engineStack("local", { overrides: { nats: { servers: [server.url], user: "admin" }, "fixture:extra": EXTRA }, program: "extra-resources.js" });
  });
  afterAll(async () => {
    await closeConnections();
    stack?.remove();
    await server?.stop();
  });

  /** The server takes only `next` from now on, and so does the stack configuration. */
  const rotate = async () => {
    const next = password();
    fs.writeFileSync(server.configFile, fs.readFileSync(server.configFile, "utf8").replace(current, next));
    await server.restart();
    current = next;
    await stack.ok(["config", "set", "--secret", "event-bus:natsPassword"], { input: next });
  };
  const streams = async () => {
    const admin = await openManager([server.url], { user: "admin", pass: current });
    try {
      const out: Record<string, string[]> = {};
      for await (const si of admin.jsm.streams.list()) {
        out[si.config.name] = [];
        for await (const ci of admin.jsm.consumers.list(si.config.name)) out[si.config.name].push(ci.name);
      }
      return out;
    } finally {
      await admin.close();
    }
  };

  it("removes a durable, refreshes and destroys, each right after a rotation", async () => {
    await stack.ok(["config", "set", "--secret", "event-bus:natsPassword"], { input: current });
    await stack.ok(["up", "--yes", "--skip-preview"]);
    expect((await streams()).ORDERS).toEqual(["reader"]);

    await rotate();
    await stack.ok(["config", "set", "--path", "fixture:extra", JSON.stringify([EXTRA[0]])]);
    await stack.ok(["up", "--yes"]);
    expect((await streams()).ORDERS).toEqual([]);
    await stack.ok(["preview", "--expect-no-changes"]);

    await rotate();
    // Without the program, the engine configures providers from the state (the configuration of
    // the last update); `--run-program` gives them the stack configuration of now.
    const stale = await stack.run(["refresh", "--yes"]);
    expect(stale.code).not.toBe(0);
    expect(stale.stdout).toMatch(/Authorization Violation/);
    await stack.ok(["refresh", "--yes", "--run-program"]);
    await rotate();
    await stack.ok(["destroy", "--yes", "--skip-preview", "--run-program"]);
    expect(await streams()).toEqual({});
  }, 240_000);
});
