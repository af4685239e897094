/**
 * Upgrades across releases, through the real engine: state written by the previous release (the
 * main before the providers became a package, built from git) is driven by this release's code
 * through preview, up, refresh and destroy; then the compiled output moves (another outDir, its
 * own provider package) and the state still works.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeConnections } from "../../components/jetstream/client";
import { claimsOf } from "../../components/jetstream/claims";
import { packageDir, providerPackageFiles } from "../../components/providers/provider-package";
import { SCHEMA_VERSION } from "../../components/providers/schema";
import { engineStack, plannedSteps, type EngineStack } from "../helpers/engine";
import { openManager, publishStored } from "../helpers/jetstream";
import { REPO_ROOT, startServer, type ServerNode } from "../helpers/nats-servers";

/** The previous release: main before this change (its providers stored as a loader that walks to bin/). */
const PREVIOUS_RELEASE = "7458018def934ee5f405e385e31eb02912a4f772";
const TSC = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");

/** Compiles this repository's tsconfig.build.json, as found in `sourceDir`, into `outDir`. */
function compile(sourceDir: string, outDir: string): void {
  execFileSync(process.execPath, [TSC, "-p", path.join(sourceDir, "tsconfig.build.json"), "--outDir", outDir], { cwd: sourceDir, stdio: "pipe" });
}

/** Points the project's program at `outDir` (Pulumi.yaml's main). */
function useProgram(stack: EngineStack, outDir: string): void {
  const yaml = path.join(stack.dir, "Pulumi.yaml");
  fs.writeFileSync(yaml, fs.readFileSync(yaml, "utf8").replace(/^main: .*$/m, `main: ${path.relative(stack.dir, outDir)}/index.js`));
}

/** The Stream and Consumer resources in state, by name. */
function dynamicResources(exported: string): Array<{ name: string; outputs: Record<string, unknown>; inputs: Record<string, unknown> }> {
  const resources = JSON.parse(exported).deployment.resources as Array<{ urn: string; type: string; outputs?: Record<string, unknown>; inputs?: Record<string, unknown> }>;
  return resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/")).map((r) => ({ name: r.urn.split("::").pop()!, outputs: r.outputs ?? {}, inputs: r.inputs ?? {} }));
}

describe("engine - state of the previous release, driven by this one; then the compiled output moves", () => {
  let server: ServerNode;
  let stack: EngineStack;
  let work: string;
  beforeAll(async () => {
    server = await startServer();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-upgrade-"));
    // The previous release's sources, with this checkout's dependencies (it had the same). A
    // shallow clone lacks them: the workflows check out the whole history for this test.
    if (spawnSync("git", ["-C", REPO_ROOT, "cat-file", "-e", `${PREVIOUS_RELEASE}^{commit}`]).status !== 0) {
      throw new Error(`this checkout lacks the previous release ${PREVIOUS_RELEASE}: a shallow clone can not run this test; clone the whole history (actions/checkout: fetch-depth: 0)`);
    }
    const previous = path.join(work, "previous");
    fs.mkdirSync(previous);
    execFileSync("bash", ["-c", `git -C "${REPO_ROOT}" archive ${PREVIOUS_RELEASE} | tar -x -C "${previous}"`], { stdio: "pipe" });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(previous, "node_modules"));
    compile(previous, path.join(previous, "bin"));
    stack = await engineStack("local", { overrides: { migrationPhase: 2, nats: { servers: [server.url] } } });
    // The project runs the previous release's program: its bin/ is that release's build.
    fs.unlinkSync(path.join(stack.dir, "bin"));
    fs.symlinkSync(path.join(previous, "bin"), path.join(stack.dir, "bin"));
  }, 300_000);
  afterAll(async () => {
    await closeConnections();
    stack?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    await server?.stop();
  });

  const jsm = async <T>(fn: (m: Awaited<ReturnType<typeof openManager>>) => Promise<T>): Promise<T> => {
    const m = await openManager([server.url]);
    try {
      return await fn(m);
    } finally {
      await m.close();
    }
  };

  it("the previous release's state: a preview plans only the one-time updates of the streams and consumers, up writes them again, and nothing else moves", async () => {
    await stack.ok(["up", "--yes", "--skip-preview"]);
    const before = dynamicResources((await stack.ok(["stack", "export"])).stdout);
    expect(before.length).toBeGreaterThan(0);
    // What the previous release stored: a loader that walks to bin/, no schema version.
    for (const r of before) {
      expect({ r: r.name, loader: String(r.outputs.__provider).includes("bin/components/providers/"), version: r.outputs.schemaVersion }).toEqual({ r: r.name, loader: true, version: undefined });
    }
    await jsm((m) => publishStored(m.nc, "athlete-ally.hrv.raw-received", "kept"));
    const streamsBefore = await jsm(async (m) => Object.fromEntries(await Promise.all(["AA_CORE_HOT", "AA_VENDOR_HOT", "ATHLETE_ALLY_EVENTS"].map(async (n) => [n, (await m.jsm.streams.info(n)).state.messages] as const))));

    // This release's program, against that state.
    fs.unlinkSync(path.join(stack.dir, "bin"));
    fs.symlinkSync(path.join(REPO_ROOT, "bin"), path.join(stack.dir, "bin"));
    const preview = plannedSteps((await stack.ok(["preview", "--json"])).stdout);
    expect(preview.map(([op]) => op).sort()).toEqual(before.map(() => "update"));
    expect(preview.map(([, name]) => name).sort()).toEqual(before.map((r) => r.name).sort());
    await stack.ok(["up", "--yes", "--skip-preview"]);
    await stack.ok(["preview", "--expect-no-changes"]);

    const after = dynamicResources((await stack.ok(["stack", "export"])).stdout);
    for (const r of after) {
      expect({ r: r.name, provider: String(r.outputs.__provider).match(/require\("([^"]+)"\)/)?.[1], version: r.outputs.schemaVersion, bytes: String(r.outputs.__provider).length < 400 }).toEqual({
        r: r.name,
        provider: expect.stringMatching(/^@event-bus\/providers\/(stream|consumer)\.js$/),
        version: SCHEMA_VERSION,
        bytes: true,
      });
    }
    // Every stream kept its messages, and says where it claimed each subject.
    expect(await jsm(async (m) => Object.fromEntries(await Promise.all(Object.keys(streamsBefore).map(async (n) => [n, (await m.jsm.streams.info(n)).state.messages] as const))))).toEqual(streamsBefore);
    const core = await jsm((m) => m.jsm.streams.info("AA_CORE_HOT"));
    expect(Object.keys(claimsOf(core.config)).sort()).toEqual([...(core.config.subjects ?? [])].sort());
    // A refresh through the new code finds nothing to change.
    await stack.ok(["refresh", "--yes", "--skip-preview"]);
    await stack.ok(["preview", "--expect-no-changes"]);
  }, 600_000);

  it("after the compiled output moves (another outDir, the provider package written for it), refresh, an update and destroy still work", async () => {
    // This release built into a directory of the project's own, and the provider package for it
    // in the project's own node_modules (the repository's packages linked in beside it).
    const moved = path.join(stack.dir, "dist-moved");
    compile(REPO_ROOT, moved);
    fs.unlinkSync(path.join(stack.dir, "node_modules"));
    const modules = path.join(stack.dir, "node_modules");
    fs.mkdirSync(modules);
    for (const entry of fs.readdirSync(path.join(REPO_ROOT, "node_modules"))) {
      if (entry === "@event-bus") continue;
      fs.symlinkSync(path.join(REPO_ROOT, "node_modules", entry), path.join(modules, entry));
    }
    fs.mkdirSync(packageDir(stack.dir), { recursive: true });
    for (const [name, text] of Object.entries(providerPackageFiles(stack.dir, moved, "0.0.0-moved"))) fs.writeFileSync(path.join(packageDir(stack.dir), name), text);
    fs.unlinkSync(path.join(stack.dir, "bin"));
    useProgram(stack, moved);

    await stack.ok(["refresh", "--yes", "--skip-preview"]);
    await stack.ok(["preview", "--expect-no-changes"]);
    // A change through the moved build (the documented opt-in before a destroy of streams that hold messages), then the destroy.
    await stack.ok(["config", "set", "event-bus:forceDelete", "true"]);
    await stack.ok(["up", "--yes", "--skip-preview"]);
    await stack.ok(["preview", "--expect-no-changes"]);
    await stack.ok(["destroy", "--yes", "--skip-preview"]);
    expect(await jsm(async (m) => (await m.jsm.streams.names().next()).length)).toBe(0);
  }, 600_000);
});
