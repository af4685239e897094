/**
 * The plugin processes this project starts for the engine end themselves once the engine is gone,
 * as the engine's own plugins are meant to (rpcutil.Healthcheck): a SIGKILLed `pulumi up` must not
 * leave the language host (and the programs it started), the random plugin or the dynamic-provider
 * host running with no parent. Runs the compiled plugins (bin/, as the engine starts them).
 */
import { spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { isAlive, stopChild, superviseChild } from "../helpers/pid-ledger";
import { REPO_ROOT } from "../helpers/nats-servers";

const PLUGINS = [
  { name: "language host", script: "language-host.js" },
  { name: "random plugin", script: "random-provider.js" },
  { name: "dynamic-provider host", script: "dynamic-provider.js" },
];

describe.each(PLUGINS)("engine health check - $name", ({ script }) => {
  it("exits within moments of the engine's address going away, and not while it is there", async () => {
    const engine = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => engine.listen(0, "127.0.0.1", () => r()));
    const address = `127.0.0.1:${(engine.address() as net.AddressInfo).port}`;
    const plugin = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "scripts", "engine", script), address], {
      cwd: REPO_ROOT,
      env: { ...process.env, EVENT_BUS_HEALTHCHECK_MS: "200" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const { exited } = superviseChild(plugin);
    try {
      // Every plugin prints the port it serves on first, as the engine expects.
      const port = await new Promise<string>((resolve) => plugin.stdout!.once("data", (b: Buffer) => resolve(b.toString().trim())));
      expect(port).toMatch(/^\d+$/);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(isAlive(plugin.pid!)).toBe(true);
      await new Promise<void>((r) => engine.close(() => r()));
      const gone = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5_000))]);
      expect(gone).toBe(true);
      expect(isAlive(plugin.pid!)).toBe(false);
      expect(plugin.exitCode).toBe(0);
    } finally {
      await stopChild(plugin, exited, 2_000);
    }
  }, 20_000);
});
