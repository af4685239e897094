/**
 * A NATS password set with `pulumi config set --secret` stays secret through the real engine:
 * not in the stack file, the backend's files, `pulumi stack export`, the outputs, any command's
 * output, or an error message.
 */
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { closeConnections } from "../../components/jetstream/client";
import { engineStack, type EngineStack } from "../helpers/engine";
import { startServer, type ServerNode } from "../helpers/nats-servers";

const PASSWORD = `pw-${randomBytes(12).toString("hex")}`;
const WRONG = `wrong-${randomBytes(12).toString("hex")}`;

describe("engine - a secret NATS password", () => {
  let server: ServerNode;
  let stack: EngineStack;
  beforeAll(async () => {
    server = await startServer({ extraConfig: `authorization { users: [ { user: "admin", password: "${PASSWORD}" } ] }` });
    stack = await engineStack("local", { overrides: { nats: { servers: [server.url], user: "admin" } } });
  });
  afterAll(async () => {
    await closeConnections();
    stack?.remove();
    await server?.stop();
  });

  it("appears nowhere in plain text, and a failed sign-in does not print the password it tried", async () => {
    await stack.ok(["config", "set", "--secret", "event-bus:natsPassword"], { input: PASSWORD });
    await stack.ok(["up", "--yes"]);
    await stack.ok(["preview", "--expect-no-changes"]);
    const exported = await stack.ok(["stack", "export"]);
    expect(exported.stdout).toContain("4dabf18193072939515e22adb298388d"); // the secret signature: connection is stored as a secret
    await stack.ok(["stack", "output", "--json"]);

    // A wrong password fails the next change with an authorization error that keeps it out.
    await stack.ok(["config", "set", "--secret", "event-bus:natsPassword"], { input: WRONG });
    await stack.ok(["config", "set", "--path", "event-bus:hrvConsumer.maxDeliver", "6"]);
    const failed = await stack.run(["up", "--yes"]);
    expect(failed.code).not.toBe(0);
    expect(failed.stdout + failed.stderr).toMatch(/[Aa]uthorization/);

    for (const text of stack.transcript) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(WRONG);
    }
    // Every file of the project: the stack file, the backend's checkpoints and history, logs.
    const grep = spawnSync("grep", ["-r", "-l", "-F", "-e", PASSWORD, "-e", WRONG, stack.dir], { encoding: "utf8" });
    expect({ status: grep.status, files: grep.stdout }).toEqual({ status: 1, files: "" });
  }, 120_000);
});

describe("engine - a bad secret value", () => {
  let server: ServerNode;
  let stack: EngineStack;
  beforeAll(async () => {
    server = await startServer();
    stack = await engineStack("local", { overrides: { nats: { servers: [server.url] } } });
  });
  afterAll(async () => {
    await closeConnections();
    stack?.remove();
    await server?.stop();
  });

  it("fails the preview once, naming its event-bus: key, before any resource is checked, and without its value", async () => {
    const seed = `SX${randomBytes(8).toString("hex").toUpperCase()}`;
    await stack.ok(["config", "set", "--secret", "event-bus:natsNkeySeed"], { input: seed });
    const r = await stack.run(["preview"]);
    const said = r.stdout + r.stderr;
    expect(r.code).not.toBe(0);
    expect(said).toMatch(/event-bus:natsNkeySeed: expected an nkey user seed starting with SU/);
    expect(said).not.toMatch(/connection\./);
    expect(said).not.toContain(seed);
    expect(said).not.toMatch(/event-bus:Stream|event-bus:Consumer/);
  }, 120_000);
});
