/**
 * scripts/pulumi keeps its default file backend for the local stack and throwaway copies, and
 * refuses staging and production there unless a backend is named: run against an empty backend,
 * `up --stack production` would create a second production with new passwords.
 *
 * Each test runs a copy of the script in a directory of its own, beside the engine built in
 * .tools/bin, so its default backend (`<root>/.state/pulumi`) is a temporary directory and
 * nothing is written to the repository's `.state`.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, TOOLS_BIN } from "../helpers/nats-servers";

let dir: string;
let root: string;
let project: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-pulumi-script-"));
  root = path.join(dir, "root");
  fs.mkdirSync(path.join(root, "scripts"), { recursive: true });
  fs.mkdirSync(path.join(root, ".tools"));
  fs.copyFileSync(path.join(REPO_ROOT, "scripts", "pulumi"), path.join(root, "scripts", "pulumi"));
  fs.chmodSync(path.join(root, "scripts", "pulumi"), 0o755);
  fs.symlinkSync(TOOLS_BIN, path.join(root, ".tools", "bin"));
  project = path.join(dir, "project");
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: event-bus\nruntime: nodejs\n");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The script with no backend named, unless `env` names one. */
function pulumi(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PULUMI_|EVENT_BUS_PULUMI_STATE$)/.test(k)));
  const r = spawnSync(path.join(root, "scripts", "pulumi"), [...args, "--non-interactive"], {
    cwd: project,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...base, HOME: dir, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const defaultState = () => path.join(root, ".state", "pulumi");

describe("scripts/pulumi - staging and production only in a named backend", () => {
  it.each([
    [["up", "--stack", "production"], "production"],
    [["preview", "-s", "staging"], "staging"],
    [["up", "--stack=production"], "production"],
    [["up", "--yes", "--stack", "athlete-ally/event-bus/production"], "athlete-ally/event-bus/production"],
    [["stack", "init", "production"], "production"],
    [["stack", "select", "--create", "staging"], "staging"],
  ])("%j with no backend named exits 2, says why and what to do, and writes nothing", (args, stack) => {
    const r = pulumi(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`refusing stack '${stack}' in the default file backend`);
    expect(r.stderr).toMatch(/create a second (staging|production), with new passwords/);
    expect(r.stderr).toContain("pulumi login https://api.pulumi.com");
    expect(r.stderr).toContain("PULUMI_BACKEND_URL=");
    expect(fs.existsSync(path.join(root, ".state"))).toBe(false);
  });

  it("with no stack named, the stack selected in the default backend counts", () => {
    // What `pulumi stack select production` leaves in PULUMI_HOME for this project and backend.
    const home = path.join(dir, "home");
    const projectFile = fs.realpathSync(path.join(project, "Pulumi.yaml"));
    const hash = crypto.createHash("sha1").update(projectFile).digest("hex");
    fs.mkdirSync(path.join(home, "workspaces"), { recursive: true });
    const settings = { stacks: { [`file://${defaultState()}/backend`]: "organization/event-bus/production" } };
    fs.writeFileSync(path.join(home, "workspaces", `event-bus-${hash}-workspace.json`), JSON.stringify(settings, null, 4));
    const r = pulumi(["up"], { PULUMI_HOME: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("refusing stack 'organization/event-bus/production'");
    expect(pulumi(["up"], { PULUMI_HOME: home, PULUMI_STACK: "staging" }).code).toBe(2);
  });

  it("the local stack still gets the default file backend and passphrase", () => {
    expect(pulumi(["stack", "init", "local"])).toMatchObject({ code: 0 });
    const r = pulumi(["stack", "ls", "--json", "--stack", "local"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Array<{ name: string; url: string }>).map((s) => s.name)).toEqual(["local"]);
    expect(fs.existsSync(path.join(defaultState(), "backend", ".pulumi", "stacks", "event-bus", "local.json"))).toBe(true);
    expect(fs.statSync(path.join(defaultState(), "passphrase")).mode & 0o777).toBe(0o600);
  });

  it("a named backend lets production through: EVENT_BUS_PULUMI_STATE (the tests' copies) or PULUMI_BACKEND_URL", () => {
    const copy = path.join(dir, "copy-state");
    expect(pulumi(["stack", "init", "production"], { EVENT_BUS_PULUMI_STATE: copy })).toMatchObject({ code: 0 });
    expect(fs.existsSync(path.join(copy, "backend", ".pulumi", "stacks", "event-bus", "production.json"))).toBe(true);

    const backend = path.join(dir, "team-backend");
    fs.mkdirSync(backend);
    expect(pulumi(["stack", "init", "staging"], { PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: "test" })).toMatchObject({ code: 0 });
    expect(fs.existsSync(path.join(backend, ".pulumi", "stacks", "event-bus", "staging.json"))).toBe(true);
    expect(fs.existsSync(path.join(root, ".state", "pulumi", "backend", ".pulumi"))).toBe(false);
  });
});

describe("scripts/pulumi - a checkpoint sidecar left empty by a kill", () => {
  it("the engine fails on it with `failed to load checkpoint: EOF`; the script removes it (saying so) and the stack loads again", () => {
    expect(pulumi(["stack", "init", "local"])).toMatchObject({ code: 0 });
    // What a SIGKILL between fileblob's truncation of the sidecar and its write leaves.
    const attrs = path.join(defaultState(), "backend", ".pulumi", "stacks", "event-bus", "local.json.attrs");
    fs.writeFileSync(attrs, "");
    const engine = spawnSync(path.join(TOOLS_BIN, "pulumi"), ["stack", "export", "--stack", "local", "--non-interactive"], {
      cwd: project,
      encoding: "utf8",
      env: { ...process.env, HOME: dir, PULUMI_HOME: path.join(defaultState(), "home"), PULUMI_BACKEND_URL: `file://${defaultState()}/backend`, PULUMI_CONFIG_PASSPHRASE_FILE: path.join(defaultState(), "passphrase") },
    });
    expect(engine.status).not.toBe(0);
    expect(engine.stderr).toContain("failed to load checkpoint: EOF");
    const r = pulumi(["stack", "export", "--stack", "local"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`scripts/pulumi: removing ${attrs}, left empty by a killed command`);
    expect(JSON.parse(r.stdout)).toMatchObject({ deployment: expect.any(Object) });
    expect(fs.existsSync(attrs)).toBe(false);
  });
});
