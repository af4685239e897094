/**
 * The local stack on one machine: starts the pinned nats-server (JetStream, in .state/local),
 * then applies the `local` stack's topology (Pulumi.local.yaml) to it through the stack's own
 * providers in dependency order, as `pulumi up` would (scripts/lib/deployment.ts; the Pulumi CLI
 * can not be installed on this project's machines). Prints what the server then holds.
 *
 *   npm run local                 apply Pulumi.local.yaml and keep the server running (Ctrl-C stops it)
 *   npm run local -- --phase 1    the same at another migration phase
 *   npm run local -- --once       apply, print, stop the server
 */
import { spawn, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseStackConfig } from "../components/config/stack-config";
import { closeConnections } from "../components/jetstream/client";
import { computeTopology } from "../components/topology/topology";
import { Deployment, desiredOf } from "./lib/deployment";
import { stackFileConfig } from "./stack-file";

const ROOT = path.resolve(__dirname, "..");
const TOOLS = path.join(ROOT, ".tools", "bin");
const STATE = path.join(ROOT, ".state", "local");
const args = process.argv.slice(2);
const once = args.includes("--once");
const phaseArg = args.indexOf("--phase");

function localConfig(): Record<string, unknown> {
  const raw = stackFileConfig("local");
  if (phaseArg >= 0) raw.migrationPhase = Number(args[phaseArg + 1]);
  if (raw.migrationPhase === 0) raw.mode = "single";
  return raw;
}

async function waitForServer(monitor: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${monitor}/healthz?js-enabled-only=true`);
      if (res.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server did not become ready at ${monitor}`);
}

async function main(): Promise<void> {
  const config = parseStackConfig(localConfig());
  const url = new URL(config.nats.servers[0]);
  fs.mkdirSync(STATE, { recursive: true });
  const log = fs.openSync(path.join(STATE, "nats-server.log"), "a");
  const server = spawn(path.join(TOOLS, "nats-server"), ["-js", "-sd", path.join(STATE, "jetstream"), "-a", url.hostname, "-p", url.port || "4222", "-m", "8222"], {
    stdio: ["ignore", log, log],
  });
  const stop = () => {
    if (server.exitCode === null) server.kill("SIGTERM");
  };
  process.on("exit", stop);
  process.on("SIGINT", () => process.exit(130));
  await waitForServer("http://127.0.0.1:8222");
  console.log(`[local] nats-server (PID ${server.pid}) on ${config.nats.servers[0]}, store ${STATE}`);

  const topology = computeTopology(config);
  const stateFile = path.join(STATE, "deployment.json");
  const deployment = new Deployment(fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, "utf8")) : {});
  const steps = await deployment.up(desiredOf(topology, config.nats));
  fs.writeFileSync(stateFile, JSON.stringify(deployment.snapshot(), null, 2), { mode: 0o600 });
  await closeConnections();
  console.log(`[local] phase ${topology.phase}, mode ${topology.mode}: ${steps.map((s) => `${s.op} ${s.name}`).join(", ")}`);
  console.log(execFileSync(path.join(TOOLS, "nats"), ["--server", config.nats.servers[0], "stream", "report"], { encoding: "utf8" }));
  if (once) return process.exit(0);
  console.log("[local] the server keeps running; Ctrl-C stops it");
  await new Promise<never>(() => undefined);
}

main().catch((e) => {
  console.error(`[local] ${(e as Error).message}`);
  process.exit(1);
});
