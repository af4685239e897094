/**
 * A provider process told to stop (SIGINT or SIGTERM: the engine ending its plugins, a second
 * Ctrl-C) finishes the operations under way before it closes its connections and ends: a take cut
 * between its two writes, or a drain cut mid-wait, would leave the bus half changed.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { poll } from "../../components/poll";
import { addStream, publishStored } from "../helpers/jetstream";
import { REPO_ROOT } from "../helpers/nats-servers";
import { TOPOLOGIES, useLiveTopology } from "../helpers/topologies";
import { superviseChild } from "../helpers/pid-ledger";

describe("provider process - a signal while an operation is under way", () => {
  const bus = useLiveTopology(TOPOLOGIES[0].start);

  it.each(["SIGINT", "SIGTERM"] as const)("%s: the drain under way ends as it would have, then the process exits", async (signal) => {
    await addStream(bus.admin.jsm, { name: "SIGNALS", subjects: ["signals.>"] });
    await publishStored(bus.admin.nc, "signals.a", "nobody reads this");
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "test", "fixtures", "drain-on-signal.ts"), bus.topo.urls[0]], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const { exited, output } = superviseChild(child);
    let stdout = "";
    child.stdout!.on("data", (b: Buffer) => (stdout += b.toString()));
    const draining = await poll({ timeoutMs: 30_000, intervalMs: 20 }, async () => {
      if (child.exitCode !== null) throw new Error(`exited before the drain began:\n${output()}`);
      return stdout.includes("started") ? true : undefined;
    });
    if (!draining) throw new Error(`the drain did not begin:\n${output()}`);
    child.kill(signal);
    await exited;
    // The drain ran its course (its readers made no progress for its stall limit) and refused, as without the signal.
    expect(stdout).toMatch(/outcome: consumer draining on stream SIGNALS: has 1 messages not yet delivered and 0 not acknowledged, and its readers made no progress for \d+ ms; refusing to delete it/);
    expect(child.exitCode ?? child.signalCode).toBe(signal === "SIGINT" ? 130 : 0);
    expect((await bus.admin.jsm.consumers.info("SIGNALS", "draining")).num_pending).toBe(1);
    await bus.admin.jsm.streams.delete("SIGNALS");
  }, 60_000);
});
