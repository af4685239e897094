/**
 * The language host's stand-in ends itself once the engine is gone, as the engine's own plugins do
 * (rpcutil.Healthcheck): a SIGKILLed `pulumi up` must not leave it, and the programs it started,
 * running with no parent. Runs the compiled host (bin/, as the engine starts it).
 */
import { spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { poll } from "../../components/poll";
import { isAlive, stopChild, superviseChild } from "../helpers/pid-ledger";
import { REPO_ROOT } from "../helpers/nats-servers";

describe("language host - engine health check", () => {
  it("exits within moments of the engine's address going away, and not while it is there", async () => {
    const engine = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => engine.listen(0, "127.0.0.1", () => r()));
    const address = `127.0.0.1:${(engine.address() as net.AddressInfo).port}`;
    const host = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "scripts", "engine", "language-host.js"), address], {
      env: { ...process.env, EVENT_BUS_HEALTHCHECK_MS: "200" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const { exited } = superviseChild(host);
    try {
      const port = await new Promise<string>((resolve) => host.stdout!.once("data", (b: Buffer) => resolve(b.toString().trim())));
      expect(port).toMatch(/^\d+$/);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(isAlive(host.pid!)).toBe(true);
      await new Promise<void>((r) => engine.close(() => r()));
      const gone = await poll({ timeoutMs: 5_000, intervalMs: 100 }, () => (isAlive(host.pid!) ? undefined : true));
      expect(gone).toBe(true);
      expect(host.exitCode).toBe(0);
    } finally {
      await stopChild(host, exited, 2_000);
    }
  }, 20_000);
});
