/**
 * Runs this repository's program under the real Pulumi engine (`scripts/pulumi`), in a project
 * directory of its own: `Pulumi.yaml` and one stack file, with `bin/`, `node_modules/`,
 * `package.json`, `policies/`, `scripts/` and `tsconfig.json` linked back to the repository (so that
 * `--policy-pack policies` and `npm run verify` work there as in the repository). The local command, the end-to-end tests, the
 * migration walk and the benchmarks all apply stacks through it, each with its own file backend
 * and generated passphrase, so nothing they do writes to the repository's stack files (a
 * passphrase stack writes its `encryptionsalt` into its stack file on `pulumi stack init`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..").replace(/[\\/]bin$/, "");
export const PULUMI = path.join(REPO_ROOT, "scripts", "pulumi");
const LINKED = ["bin", "node_modules", "package.json", "policies", "scripts", "tsconfig.json"];

export interface PulumiProject {
  /** The project directory (what the engine runs in). */
  dir: string;
  stack: string;
  /** The stack file the engine reads and `pulumi config set` writes. */
  stackFile: string;
  /** Environment for every command: where its backend and passphrase live. */
  env: NodeJS.ProcessEnv;
}

/** `event-bus:` keys and their values; `undefined` removes a key. */
export type ConfigOverrides = Record<string, unknown>;

/**
 * Lays out (or refreshes) a project directory for one stack. Its stack file is the repository's
 * `Pulumi.<from>.yaml` with the overrides applied; an `encryptionsalt` it already holds is kept.
 */
export function prepareProject(opts: { dir: string; stack: string; from?: string; overrides?: ConfigOverrides }): PulumiProject {
  const { dir, stack } = opts;
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  for (const name of LINKED) {
    const link = path.join(dir, name);
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(REPO_ROOT, name), link);
  }
  const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
  const doc = parseDocument(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${opts.from ?? stack}.yaml`), "utf8"));
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    const k = key.includes(":") ? key : `event-bus:${key}`;
    if (value === undefined) doc.deleteIn(["config", k]);
    else doc.setIn(["config", k], doc.createNode(value));
  }
  if (fs.existsSync(stackFile)) {
    const salt = parseDocument(fs.readFileSync(stackFile, "utf8")).get("encryptionsalt");
    if (salt) doc.set("encryptionsalt", salt);
  }
  fs.writeFileSync(stackFile, doc.toString());
  const state = path.join(dir, ".pulumi");
  return { dir, stack, stackFile, env: { EVENT_BUS_PULUMI_STATE: state } };
}

export interface PulumiResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `pulumi <args> --stack <stack>` in the project. Output is collected (and echoed when
 * `echo` is set); the promise resolves with the exit code, it does not reject on failure.
 */
export interface RunOptions {
  echo?: boolean;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Called once the CLI runs, with it and its output so far (a test that kills it at a point of its choosing). */
  started?: (child: ChildProcess, output: () => string) => void;
}

export function runPulumi(project: PulumiProject, args: string[], opts: RunOptions = {}): Promise<PulumiResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PULUMI, [...args, "--stack", project.stack, "--non-interactive"], {
      cwd: project.dir,
      env: { ...process.env, ...project.env, ...opts.env },
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (b: Buffer) => {
      stdout += b.toString();
      if (opts.echo) process.stdout.write(b);
    });
    child.stderr!.on("data", (b: Buffer) => {
      stderr += b.toString();
      if (opts.echo) process.stderr.write(b);
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    opts.started?.(child, () => stdout + stderr);
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Like runPulumi, but a non-zero exit is an error that carries the command's output. */
export async function pulumi(project: PulumiProject, args: string[], opts: RunOptions = {}): Promise<PulumiResult> {
  const r = await runPulumi(project, args, opts);
  if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} --stack ${project.stack} exited with ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Selects the project's stack, creating it in its backend the first time. */
export async function ensureStack(project: PulumiProject): Promise<void> {
  const selected = await runPulumi(project, ["stack", "select"]);
  if (selected.code !== 0) await pulumi(project, ["stack", "init"]);
}

/** The stack's outputs, secrets shown only when asked. */
export async function stackOutputs(project: PulumiProject, showSecrets = false): Promise<Record<string, unknown>> {
  const r = await pulumi(project, ["stack", "output", "--json", ...(showSecrets ? ["--show-secrets"] : [])]);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
