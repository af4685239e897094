/**
 * The local stack on one machine: starts the pinned nats-server (JetStream, in .state/local),
 * then runs the `local` stack (Pulumi.local.yaml) through the Pulumi engine against it, with a
 * file backend and a generated passphrase in .state/local (scripts/lib/pulumi-project.ts), and
 * prints the stack's outputs and what the server then holds.
 *
 *   npm run local                       pulumi up, keep the server running (Ctrl-C stops it)
 *   npm run local -- --phase 1          the same at another migration phase
 *   npm run local -- preview [--phase N] pulumi preview only
 *   npm run local -- --once             apply, print, stop the server
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseStackConfig } from "../components/config/stack-config";
import { ensureStack, prepareProject, pulumi, REPO_ROOT, type ConfigOverrides } from "./lib/pulumi-project";
import { stackFileConfig } from "./stack-file";
import { poll } from "../components/poll";

const TOOLS = path.join(REPO_ROOT, ".tools", "bin");
const STATE = path.join(REPO_ROOT, ".state", "local");
const args = process.argv.slice(2);
const once = args.includes("--once");
const previewOnly = args.includes("preview");
const phaseArg = args.indexOf("--phase");

function phaseOverrides(): ConfigOverrides {
  if (phaseArg < 0) return {};
  const phase = Number(args[phaseArg + 1]);
  // Phase 0 is the seeds' starting point: the services still read the legacy stream.
  return phase === 0 ? { migrationPhase: phase, mode: "single" } : { migrationPhase: phase };
}

async function waitForServer(monitor: string): Promise<void> {
  const ready = await poll({ timeoutMs: 10_000, intervalMs: 50 }, async () => ((await fetch(`${monitor}/healthz?js-enabled-only=true`).catch(() => undefined))?.ok ? true : undefined));
  if (ready) return;
  throw new Error(`nats-server did not become ready at ${monitor}`);
}

async function main(): Promise<void> {
  const overrides = phaseOverrides();
  // Bad configuration is refused here, before a server starts; the program checks it again.
  const config = parseStackConfig({ ...stackFileConfig("local"), ...overrides });
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

  const project = prepareProject({ dir: path.join(STATE, "project"), stack: "local", overrides });
  await ensureStack(project);
  if (previewOnly) {
    await pulumi(project, ["preview", "--diff"], { echo: true });
  } else {
    await pulumi(project, ["up", "--yes"], { echo: true });
    console.log(execFileSync(path.join(TOOLS, "nats"), ["--server", config.nats.servers[0], "stream", "report"], { encoding: "utf8" }));
  }
  console.log(`[local] project ${project.dir}; run more commands there with: cd ${project.dir} && EVENT_BUS_PULUMI_STATE=${project.env.EVENT_BUS_PULUMI_STATE} ${path.join(REPO_ROOT, "scripts", "pulumi")} <command> --stack local`);
  if (once) return process.exit(0);
  console.log("[local] the server keeps running; Ctrl-C stops it");
  await new Promise<never>(() => undefined);
}

main().catch((e) => {
  console.error(`[local] ${(e as Error).message}`);
  process.exit(1);
});
