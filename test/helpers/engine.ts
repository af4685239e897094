/**
 * Stacks under the real Pulumi engine for tests: a project directory of its own in a temporary
 * folder (scripts/lib/pulumi-project.ts), its own file backend and passphrase, removed at the end.
 */
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureStack, prepareProject, pulumi, runPulumi, type ConfigOverrides, type PulumiProject, type PulumiResult, type RunOptions } from "../../scripts/lib/pulumi-project";
import { closeConnections } from "../../components/jetstream/client";
import { PLAN_HEADING } from "../../components/plan/plan-text";
import { openManager } from "./jetstream";
import { descendants, isAlive } from "./pid-ledger";
import { REPO_ROOT, startServer, type ServerNode } from "./nats-servers";

export { pulumi, runPulumi, type PulumiProject, type PulumiResult };

export const FIXTURE_PROGRAMS = path.join(REPO_ROOT, "test", "fixtures", "programs");

/** `fixture:extra` for extra-resources.js: a stream ORDERS and a durable reading all of it. */
export const ORDERS_WITH_READER = [
  { kind: "stream", name: "orders", args: { name: "ORDERS", subjects: ["orders.>"] } },
  { kind: "consumer", name: "orders-reader", args: { stream: "ORDERS", durableName: "reader", filterSubject: "orders.>" } },
];

export interface EngineStack extends PulumiProject {
  /** Every command's output so far, for checks that nothing leaked into it. */
  readonly transcript: string[];
  run(args: string[], opts?: RunOptions): Promise<PulumiResult>;
  /** Like run, failing with the command's output on a non-zero exit. */
  ok(args: string[], opts?: RunOptions): Promise<PulumiResult>;
  remove(): void;
}

/**
 * A stack from the repository's `Pulumi.<from>.yaml` (default: the stack's own) with overrides,
 * initialised in a fresh backend. `program` runs a fixture program (test/fixtures/programs) in
 * place of the project's own.
 */
export async function engineStack(stack: string, opts: { from?: string; overrides?: ConfigOverrides; program?: string } = {}): Promise<EngineStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `event-bus-engine-${stack}-`));
  const project = prepareProject({ dir, stack, from: opts.from, overrides: opts.overrides });
  if (opts.program) {
    fs.symlinkSync(FIXTURE_PROGRAMS, path.join(dir, "fixtures"));
    const yaml = fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8").replace(/^main: .*$/m, `main: fixtures/${opts.program}`);
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), yaml);
  }
  const transcript: string[] = [];
  // The CLIs of this stack that are running now.
  const running = new Set<ChildProcess>();
  const tracked = (o: RunOptions): RunOptions => ({
    ...o,
    started: (child, output) => {
      running.add(child);
      child.once("close", () => running.delete(child));
      o.started?.(child, output);
    },
  });
  const record = (r: PulumiResult) => {
    transcript.push(r.stdout, r.stderr);
    return r;
  };
  const s: EngineStack = {
    ...project,
    transcript,
    run: async (args, o = {}) => record(await runPulumi(project, args, tracked(o))),
    ok: async (args, o = {}) => {
      const r = record(await runPulumi(project, args, tracked(o)));
      if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} (stack ${stack}) exited with ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r;
    },
    remove: () => {
      // A CLI still running (its test timed out, or failed around it) is stopped with every plugin
      // it started, by PID: the Kubernetes plugin does not end itself when its engine goes.
      for (const child of running) stopTree(child.pid!);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await ensureStack(project);
  return s;
}

/** The steps a `--json` preview plans, as [operation, resource name], without the stack itself. */
export function plannedSteps(previewJson: string): Array<[string, string]> {
  const steps = (JSON.parse(previewJson).steps ?? []) as Array<{ op: string; urn: string }>;
  return steps.filter((s) => !s.urn.includes("pulumi:pulumi:Stack")).map((s) => [s.op, s.urn.split("::").pop()!]);
}

/** The step plan a `--json` preview printed (components/plan/plan-text.ts), as its lines; none when it printed none. */
export function printedPlan(previewJson: string): string[] {
  const diagnostics = (JSON.parse(previewJson).diagnostics ?? []) as Array<{ message: string }>;
  const plan = diagnostics.find((d) => d.message.startsWith(PLAN_HEADING));
  return plan ? plan.message.trimEnd().split("\n") : [];
}

/** The resource operations a `--json` preview plans, e.g. { create: 7 } or { same: 7 }. */
export function plannedOps(previewJson: string): Record<string, number> {
  const ops: Record<string, number> = {};
  for (const [op] of plannedSteps(previewJson)) ops[op] = (ops[op] ?? 0) + 1;
  return ops;
}

/**
 * For a describe's tests: a real server, an admin connection to it, and the local stack on it
 * through the engine (starting at `migrationPhase`, with `overrides` of its stack file), all
 * stopped after them.
 */
export function useLocalStack(migrationPhase: number, overrides: ConfigOverrides = {}): { readonly server: ServerNode; readonly admin: Awaited<ReturnType<typeof openManager>>; readonly stack: EngineStack } {
  const live = {} as { server: ServerNode; admin: Awaited<ReturnType<typeof openManager>>; stack: EngineStack };
  beforeAll(async () => {
    live.server = await startServer();
    live.admin = await openManager([live.server.url]);
    live.stack = await engineStack("local", { overrides: { nats: { servers: [live.server.url] }, migrationPhase, ...overrides } });
  });
  afterAll(async () => {
    await live.admin?.close();
    await closeConnections();
    live.stack?.remove();
    await live.server?.stop();
  });
  return live;
}

/**
 * For a describe's tests: a real server, an admin connection to it, and stacks on it through the
 * engine, by name (`from`: the repository's stack file they are made from; each gets the server's
 * address), all stopped after them.
 */
export function useStacksOnOneServer<N extends string>(stacks: Record<N, { from?: string; overrides?: ConfigOverrides }>): { readonly server: ServerNode; readonly admin: Awaited<ReturnType<typeof openManager>>; readonly stacks: Record<N, EngineStack> } {
  const live = { stacks: {} as Record<N, EngineStack> } as { server: ServerNode; admin: Awaited<ReturnType<typeof openManager>>; stacks: Record<N, EngineStack> };
  beforeAll(async () => {
    live.server = await startServer();
    live.admin = await openManager([live.server.url]);
    for (const [name, spec] of Object.entries(stacks) as Array<[N, { from?: string; overrides?: ConfigOverrides }]>) {
      live.stacks[name] = await engineStack(name, { from: spec.from, overrides: { nats: { servers: [live.server.url] }, ...spec.overrides } });
    }
  });
  afterAll(async () => {
    await live.admin?.close();
    await closeConnections();
    for (const s of Object.values(live.stacks) as EngineStack[]) s.remove();
    await live.server?.stop();
  });
  return live;
}

/** Stops a process and every process under it, by PID, deepest first being found before any is stopped. */
function stopTree(pid: number): void {
  const tree = [pid, ...descendants(pid).map((d) => d.pid)];
  for (const p of tree) if (isAlive(p)) process.kill(p, "SIGKILL");
}
