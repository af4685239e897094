/**
 * The GitHub workflows lint clean with actionlint (pinned in versions.json, built by
 * scripts/install-tools.sh), and, read as data, deploy the way docs/RUNBOOK.md says: on runners
 * that reach the cluster, with OIDC instead of stored tokens, the official CLI at the engine
 * version the tests run, every action pinned, each stack when its own file changes, production
 * after a fresh preview and an approval.
 */
import { STEP_PLAN_FILE_ENV } from "../../components/plan/explain";
import { stackConfigFile } from "../helpers/stack-files";
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { REPO_ROOT, TOOLS_BIN } from "../helpers/nats-servers";

const run = promisify(execFile);
const ACTIONLINT = path.join(TOOLS_BIN, "actionlint");
const lint = (files: string[]) =>
  run(ACTIONLINT, ["-no-color", ...files], { cwd: REPO_ROOT }).then(
    () => ({ ok: true, output: "" }),
    (e: { stdout: string }) => ({ ok: false, output: e.stdout }),
  );

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  id?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  "runs-on": string | string[];
  "timeout-minutes"?: number;
  environment?: string | { name: string };
  needs?: string | string[];
  if?: string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}

const WORKFLOW_DIR = path.join(REPO_ROOT, ".github", "workflows");
const text = (file: string) => fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const FILES = ["deploy.yml", "pull-request.yml"];
const PULUMI_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "versions.json"), "utf8")) as { pulumi: string }).pulumi;

/** Every job of both workflows, named `file:job`. */
const allJobs = (): Array<[string, Job]> => FILES.flatMap((f) => Object.entries(workflow(f).jobs).map(([name, job]): [string, Job] => [`${f}:${name}`, job]));
const usesPulumi = (s: Step) => s.uses?.startsWith("pulumi/actions@") ?? false;
/** A job that reaches a stack: it has an environment or runs the Pulumi CLI. */
const isDeployJob = (job: Job) => job.environment !== undefined || job.steps.some(usesPulumi);
const envName = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);

describe("CI workflows", () => {
  const workflows = fs.readdirSync(WORKFLOW_DIR).map((f) => path.join(".github", "workflows", f));

  it("pull-request and deploy workflows exist", () => {
    expect(workflows.map((f) => path.basename(f)).sort()).toEqual(["deploy.yml", "pull-request.yml"]);
  });

  it("lint clean with actionlint", async () => {
    expect(await lint(workflows)).toEqual({ ok: true, output: "" });
  });

  it("actionlint really checks: a broken workflow fails", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-wf-"));
    const file = path.join(dir, "broken.yml");
    fs.writeFileSync(file, "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.thing }}\n      - uses: actions/checkout@v4\n        with: { fetch-depth: one }\n");
    try {
      const r = await lint([file]);
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/nope/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CI workflows - what they run and with which credentials", () => {
  it("every action is pinned by a full commit SHA with a comment naming its tag", () => {
    for (const file of FILES) {
      const lines = text(file).split("\n").filter((l) => /^\s*(-\s+)?uses:/.test(l));
      const parsed = Object.values(workflow(file).jobs).flatMap((j) => j.steps.filter((s) => s.uses).map((s) => s.uses!));
      expect({ file, lines: lines.length }).toEqual({ file, lines: parsed.length });
      for (const line of lines) expect({ file, line: line.trim(), pinned: /uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/.test(line) }).toEqual({ file, line: line.trim(), pinned: true });
    }
  });

  it("every job has a timeout", () => {
    for (const [name, job] of allJobs()) expect({ name, timeout: typeof job["timeout-minutes"] }).toEqual({ name, timeout: "number" });
  });

  it("no deploy job builds the toolchain: npm ci, npm run build and the official CLI only", () => {
    const deployJobs = allJobs().filter(([, job]) => isDeployJob(job));
    expect(deployJobs.map(([name]) => name).sort()).toEqual(["deploy.yml:production", "deploy.yml:production-preview", "deploy.yml:staging", "pull-request.yml:preview"]);
    for (const [name, job] of deployJobs) {
      for (const step of job.steps) {
        expect({ name, uses: step.uses?.startsWith("actions/setup-go@") ?? false }).toEqual({ name, uses: false });
        expect({ name, run: /install-tools\.sh|scripts\/test\.sh|setup\.sh/.test(step.run ?? "") }).toEqual({ name, run: false });
      }
      expect(job.steps.some((s) => s.run === "npm ci && npm run build")).toBe(true);
    }
  });

  it(`every pulumi/actions step runs the official CLI at the engine the tests run (${PULUMI_VERSION})`, () => {
    const steps = allJobs().flatMap(([name, job]) => job.steps.filter(usesPulumi).map((s) => ({ name, version: s.with?.["pulumi-version"] })));
    expect(steps.length).toBeGreaterThanOrEqual(4);
    for (const s of steps) expect(s).toEqual({ name: s.name, version: PULUMI_VERSION });
  });

  it("no job uses a stored Pulumi token: each gets one through OIDC, scoped by its environment", () => {
    for (const file of FILES) expect({ file, stored: /secrets\s*\.\s*PULUMI_ACCESS_TOKEN/.test(text(file)) }).toEqual({ file, stored: false });
    const scopes: Record<string, string> = { staging: "team:event-bus-staging", production: "team:event-bus-production", preview: "team:event-bus-preview" };
    for (const [name, job] of allJobs().filter(([, j]) => j.steps.some(usesPulumi))) {
      const auth = job.steps.findIndex((s) => s.uses?.startsWith("pulumi/auth-actions@"));
      expect({ name, auth: auth >= 0 && auth < job.steps.findIndex(usesPulumi) }).toEqual({ name, auth: true });
      expect({ name, with: job.steps[auth].with }).toEqual({
        name,
        with: { organization: "athlete-ally", "requested-token-type": "urn:pulumi:token-type:access_token:team", scope: scopes[envName(job)!] },
      });
    }
  });

  it("id-token: write only on the jobs that trade the OIDC token", () => {
    for (const file of FILES) expect({ file, permissions: workflow(file).permissions }).toEqual({ file, permissions: { contents: "read" } });
    for (const [name, job] of allJobs()) {
      const trades = job.steps.some((s) => s.uses?.startsWith("pulumi/auth-actions@"));
      expect({ name, idToken: job.permissions?.["id-token"] === "write" }).toEqual({ name, idToken: trades });
    }
  });

  it("deploy jobs run on the self-hosted runners of their environment, inside the network", () => {
    for (const [name, job] of allJobs().filter(([, j]) => isDeployJob(j))) {
      expect({ name, runsOn: job["runs-on"] }).toEqual({ name, runsOn: ["self-hosted", "linux", `event-bus-${envName(job)}`] });
    }
  });

  it("jobs run a current Node LTS", () => {
    const versions = allJobs().flatMap(([, job]) => job.steps.filter((s) => s.uses?.startsWith("actions/setup-node@")).map((s) => Number(s.with?.["node-version"])));
    expect(versions.length).toBeGreaterThan(0);
    for (const v of versions) expect([22, 24]).toContain(v);
  });

  it("one Node.js minimum: package.json's engines, which the README and the runbook name and every job's version meets", () => {
    const min = Number(/^>=(\d+)$/.exec((JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node)![1]);
    const said = (file: string) => [...fs.readFileSync(path.join(REPO_ROOT, file), "utf8").matchAll(/Node\.js (\d+)(\+| or newer)/g)].map((m) => Number(m[1]));
    expect({ readme: said("README.md"), runbook: said("docs/RUNBOOK.md") }).toEqual({ readme: [min], runbook: [min] });
    const versions = allJobs().flatMap(([, job]) => job.steps.filter((s) => s.uses?.startsWith("actions/setup-node@")).map((s) => Number(s.with?.["node-version"])));
    for (const v of versions) expect(v).toBeGreaterThanOrEqual(min);
  });

  it("the live bus is verified after every up, even a failed one, and on-call hears of a failure", () => {
    const { jobs } = workflow("deploy.yml");
    for (const name of ["staging", "production"]) {
      const steps = jobs[name].steps;
      const up = steps.findIndex((s) => usesPulumi(s) && s.with?.command === "up");
      const verify = steps.findIndex((s) => /npm run verify -- --stack/.test(s.run ?? ""));
      expect({ name, upBeforeVerify: up >= 0 && verify > up, if: steps[verify]?.if }).toEqual({ name, upBeforeVerify: true, if: "always()" });
    }
    for (const name of ["staging", "production-preview", "production"]) {
      const notify = jobs[name].steps.at(-1)!;
      expect({ name, if: notify.if, webhook: notify.env?.SLACK_WEBHOOK_URL }).toEqual({ name, if: "failure()", webhook: "${{ secrets.SLACK_WEBHOOK_URL }}" });
    }
  });

  it("production waits for a fresh preview written to the job summary, then its environment's approval", () => {
    const { jobs } = workflow("deploy.yml");
    expect(envName(jobs.production)).toBe("production");
    expect(jobs.production.needs).toContain("production-preview");
    const preview = jobs["production-preview"].steps.find(usesPulumi)!;
    expect(preview.with).toMatchObject({ command: "preview", "stack-name": "athlete-ally/production", "comment-on-summary": true, policyPacks: "policies" });
    // The preview runs with the read-only identity: no approval is needed to look.
    expect(envName(jobs["production-preview"])).toBe("preview");
  });

  it("staging does not wait while production waits for approval: one concurrency group per stack", () => {
    const wf = workflow("deploy.yml");
    expect(wf.concurrency).toBeUndefined();
    expect(wf.jobs.staging.concurrency).toEqual({ group: "deploy-staging", "cancel-in-progress": false });
    expect(wf.jobs.production.concurrency).toEqual({ group: "deploy-production", "cancel-in-progress": false });
    expect(wf.jobs.staging.needs).not.toContain("production");
  });

  it("break-glass: a workflow_dispatch per stack with a reason, through the same environments", () => {
    const wf = workflow("deploy.yml");
    const inputs = (wf.on.workflow_dispatch as { inputs: Record<string, { type: string; options?: string[]; required: boolean }> }).inputs;
    expect(inputs.stack).toMatchObject({ type: "choice", options: ["staging", "production"], required: true });
    expect(inputs.reason).toMatchObject({ type: "string", required: true });
    expect(envName(wf.jobs.staging)).toBe("staging");
    for (const name of ["staging", "production"]) expect(String(wf.jobs[name].steps.find(usesPulumi)!.with?.message)).toContain("inputs.reason");
  });

  it("no NATS admin password reaches a preview job: previews get the read-only user's, each up the admin's of its own environment; the names are the stack files'", () => {
    // The variables the stack files name (event-bus:nats.passwordEnv, nats.preview.passwordEnv).
    const names = (["staging", "production"] as const).map((st) => (stackConfigFile(st).nats as { passwordEnv: string; preview: { passwordEnv: string } }));
    const [admin, preview] = [names[0].passwordEnv, names[0].preview.passwordEnv];
    for (const n of names) expect([n.passwordEnv, n.preview.passwordEnv]).toEqual([admin, preview]);
    /** Every secret a job can read, from anywhere in it (the job's env, each step's env, with and run). */
    const secretsOf = (job: Job) => new Set([...JSON.stringify(job).matchAll(/secrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
    for (const f of FILES) {
      const wf = workflow(f) as Workflow & { env?: unknown };
      // Nothing reaches every job at once.
      expect({ f, env: JSON.stringify(wf.env ?? {}) }).not.toEqual({ f, env: expect.stringContaining("secrets.") });
      expect(text(f)).not.toMatch(/secrets: inherit|toJSON\(secrets\)/);
    }
    const previewJobs = allJobs().filter(([, job]) => envName(job) === "preview" || job.steps.some((st) => usesPulumi(st) && st.with?.command === "preview"));
    expect(previewJobs.map(([name]) => name).sort()).toEqual(["deploy.yml:production-preview", "pull-request.yml:preview"]);
    for (const [name, job] of previewJobs) {
      expect({ name, env: envName(job) }).toEqual({ name, env: "preview" });
      expect({ name, secrets: [...secretsOf(job)].sort() }).toEqual({ name, secrets: expect.not.arrayContaining([admin]) });
      for (const secret of secretsOf(job)) expect({ name, secret }).toEqual({ name, secret: expect.stringMatching(new RegExp(`^(${preview}|SLACK_WEBHOOK_URL|GITHUB_TOKEN)$`)) });
      for (const st of job.steps.filter((x) => usesPulumi(x))) expect({ name, env: st.env }).toEqual({ name, env: { [preview]: `\${{ secrets.${preview} }}` } });
    }
    // The admin's password: only in the jobs of the environments that deploy, and there given to the up.
    for (const [name, job] of allJobs()) {
      if (!secretsOf(job).has(admin)) continue;
      expect({ name, env: envName(job) }).toEqual({ name, env: expect.stringMatching(/^(staging|production)$/) });
      const up = job.steps.find((st) => usesPulumi(st) && st.with?.command === "up")!;
      expect({ name, env: up.env }).toEqual({ name, env: { [admin]: `\${{ secrets.${admin} }}` } });
    }
    const { jobs } = workflow("deploy.yml");
    for (const st of ["staging", "production"]) expect(secretsOf(jobs[st]).has(admin)).toBe(true);
  });

  it("PR previews run for each stack with the read-only identity and comment on the PR", () => {
    const job = workflow("pull-request.yml").jobs.preview;
    expect(envName(job)).toBe("preview");
    expect(job.steps.find(usesPulumi)!.with).toMatchObject({ command: "preview", "comment-on-pr": true, policyPacks: "policies" });
  });

  it("the step plan leads: the PR's plan comment is made before the preview's and filled in after it; production's approver gets it as an annotation and in the summary", () => {
    // The file the program writes the plan to, named where the program reads it.
    const planFile = (job: Job & { env?: Record<string, string> }) => job.env?.[STEP_PLAN_FILE_ENV];
    const pr = workflow("pull-request.yml").jobs.preview as Job & { env?: Record<string, string> };
    const at = (job: Job, pattern: RegExp) => job.steps.findIndex((st) => pattern.test(st.run ?? ""));
    const preview = pr.steps.findIndex(usesPulumi);
    expect(planFile(pr)).toBe("${{ github.workspace }}/step-plan.txt");
    expect([at(pr, /step-plan-report -- placeholder "\$STACK"/) < preview, at(pr, /step-plan-report -- comment "\$STACK"/) > preview]).toEqual([true, true]);
    const filled = pr.steps[at(pr, /step-plan-report -- comment/)];
    expect({ if: filled.if, env: filled.env }).toEqual({ if: "${{ !cancelled() }}", env: { GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}", PR_NUMBER: "${{ github.event.pull_request.number }}", STACK: "${{ matrix.stack }}" } });
    const prod = workflow("deploy.yml").jobs["production-preview"] as Job & { env?: Record<string, string> };
    expect(planFile(prod)).toBe("${{ github.workspace }}/step-plan.txt");
    expect(at(prod, /step-plan-report -- summary production$/)).toBeGreaterThan(prod.steps.findIndex(usesPulumi));
  });
});

describe("CI workflows - the test tiers, where each runs, and the tools they cache", () => {
  const jobsRunning = (tier: "fast" | "full") =>
    allJobs().filter(([, job]) => job.steps.some((s) => (tier === "full" ? /^bash scripts\/test\.sh full$/ : /^bash scripts\/test\.sh( fast)?$/).test(s.run ?? "")));

  it("every pull request runs the fast tier; the merge queue, the nightly run, the full-tests label and a push to main run the full one", () => {
    const pr = workflow("pull-request.yml");
    expect(Object.keys(pr.on).sort()).toEqual(["merge_group", "pull_request", "schedule"]);
    expect((pr.on.pull_request as { types: string[] }).types).toContain("labeled");
    expect(jobsRunning("fast").map(([name, job]) => [name, job.if])).toEqual([["pull-request.yml:test", "github.event_name == 'pull_request'"]]);
    expect(jobsRunning("full").map(([name, job]) => [name, job.if])).toEqual([
      ["deploy.yml:test", "github.event_name == 'push'"],
      ["pull-request.yml:full", "github.event_name != 'pull_request' || contains(github.event.pull_request.labels.*.name, 'full-tests')"],
    ]);
    // A push to main deploys only after the full tier passed.
    const deploy = workflow("deploy.yml").jobs;
    for (const name of ["staging", "production-preview"]) expect(deploy[name].needs).toContain("test");
  });

  it("each test job caches the tools it builds on versions.json and the script that builds them, and Go's caches on versions.json", () => {
    for (const [name, job] of [...jobsRunning("fast"), ...jobsRunning("full")]) {
      const go = job.steps.find((s) => s.uses?.startsWith("actions/setup-go@"));
      expect({ name, goCacheKey: go?.with?.["cache-dependency-path"] }).toEqual({ name, goCacheKey: "versions.json" });
      const cache = job.steps.find((s) => s.uses?.startsWith("actions/cache@"));
      expect({ name, path: String(cache?.with?.path).trim().split("\n").map((p) => p.trim())[0], key: cache?.with?.key }).toEqual({
        name,
        path: ".tools/bin",
        key: expect.stringMatching(/^tools-(fast|all)-\$\{\{ runner\.os \}\}-\$\{\{ hashFiles\('versions\.json', 'scripts\/install-tools\.sh'\) \}\}$/),
      });
      const tests = job.steps.findIndex((s) => /scripts\/test\.sh/.test(s.run ?? ""));
      expect({ name, cachedBeforeTests: job.steps.indexOf(cache!) < tests }).toEqual({ name, cachedBeforeTests: true });
    }
  });

  it("the full tier checks out the whole history (upgrade.engine builds an earlier release from git), and its timeout fits a cold tool build", () => {
    for (const [name, job] of jobsRunning("full")) {
      const checkout = job.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
      expect({ name, depth: checkout?.with?.["fetch-depth"], timeout: job["timeout-minutes"]! >= 75 }).toEqual({ name, depth: 0, timeout: true });
    }
    for (const [name, job] of jobsRunning("fast")) expect({ name, timeout: job["timeout-minutes"]! >= 20 && job["timeout-minutes"]! <= 30 }).toEqual({ name, timeout: true });
  });
});

describe("CI workflows - each stack is deployed when its own stack file changes", () => {
  const { jobs } = workflow("deploy.yml");
  const script = jobs.changes.steps.find((s) => s.id === "stacks")!.run!;
  let repo: string;

  const git = (...args: string[]) => {
    const r = spawnSync("git", ["-c", "user.email=ci@example.invalid", "-c", "user.name=ci", ...args], { cwd: repo, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  /** Commits a change to `files` and runs the job's script on that push. */
  const stacksFor = (files: string[], env: Record<string, string> = {}) => {
    const before = git("rev-parse", "HEAD");
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      fs.appendFileSync(path.join(repo, f), "changed\n");
    }
    git("add", "-A");
    git("commit", "-q", "-m", `change ${files.join(" ")}`);
    const output = path.join(repo, "..", "output");
    fs.writeFileSync(output, "");
    // As the runner runs a `run:` step (stdin closed, so bash reads no rc file).
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
      cwd: repo,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH, EVENT: "push", BEFORE: before, GITHUB_SHA: git("rev-parse", "HEAD"), GITHUB_OUTPUT: output, STACK: "", ...env },
    });
    expect(r.stderr).toBe("");
    return Object.fromEntries(fs.readFileSync(output, "utf8").trim().split("\n").map((l) => l.split("=")));
  };

  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-changes-"));
    repo = path.join(dir, "repo");
    fs.mkdirSync(repo);
    git("init", "-q");
    fs.writeFileSync(path.join(repo, "README.md"), "x\n");
    git("add", "-A");
    git("commit", "-q", "-m", "start");
  });
  afterAll(() => fs.rmSync(path.dirname(repo), { recursive: true, force: true }));

  it.each([
    [["Pulumi.staging.yaml"], { staging: "true", production: "false" }],
    [["Pulumi.production.yaml"], { staging: "false", production: "true" }],
    [["components/topology/catalogue.ts"], { staging: "true", production: "true" }],
    [["package-lock.json"], { staging: "true", production: "true" }],
    [["docs/RUNBOOK.md", "test/ci/workflows.test.ts", "Pulumi.local.yaml"], { staging: "false", production: "false" }],
  ])("a push changing %j deploys %j", (files, expected) => {
    expect(stacksFor(files)).toEqual(expected);
  });

  it("a break-glass run deploys the stack it names, and only that one", () => {
    expect(stacksFor(["components/x.ts"], { EVENT: "workflow_dispatch", STACK: "production" })).toEqual({ staging: "false", production: "true" });
  });

  it("a push with no base to compare with deploys both", () => {
    expect(stacksFor(["docs/x.md"], { BEFORE: "0000000000000000000000000000000000000000" })).toEqual({ staging: "true", production: "true" });
  });

  it("the jobs follow the detection: staging on staging's flag, production's preview on production's", () => {
    expect(jobs.staging.if).toContain("needs.changes.outputs.staging == 'true'");
    expect(jobs["production-preview"].if).toContain("needs.changes.outputs.production == 'true'");
  });
});
