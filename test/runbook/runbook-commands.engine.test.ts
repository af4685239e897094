/**
 * docs/RUNBOOK.md's commands, run as an on-call engineer types them, against the local stack on a
 * real nats-server through the real engine: every command of every ```bash block is either run
 * here (in document order, in one shell environment: `pulumi` is scripts/pulumi on the stack's own
 * backend, `nats` the pinned CLI) or listed below with why it can not run here. A command the
 * runbook gains that this file does not know fails the test.
 *
 * What differs from a real shell, each said where it happens: `$STACK` is the local stack (the
 * commands naming staging or production run for it too, and those that need Kubernetes are listed
 * as such); a `pulumi up` or `refresh` gets `--yes` (the prompt, answered); placeholders in angle
 * brackets get the values the runbook says to look up.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeConnections } from "../../components/jetstream/client";
import { engineStack, type EngineStack } from "../helpers/engine";
import { NATS_CLI_BIN, REPO_ROOT, startServer, type ServerNode } from "../helpers/nats-servers";
import { RUNBOOK, runbookCommands, USES_KUBECTL } from "../helpers/runbook";

/** Why a command does not run here. */
const NOT_HERE: Array<[RegExp, string]> = [
  [/^git clone https:\/\/github\.com\//, "GitHub is not reachable from this machine; the tests run in the checkout"],
  [/^npm ci && npm run build$/, "it would rebuild the checkout the tests run from; scripts/test.sh runs these two steps before every test"],
  [/^curl -fsSL/, "a download; only the npm registry, Debian and the Go module proxy are reachable here (scripts/install-tools.sh builds the same versions)"],
  [/^unzip .* && sudo install /, "installs the download above"],
  [/^go install github\.com\/nats-io\/natscli\/nats@v/, "scripts/install-tools.sh runs this very build (go_install nats, versions.json natsCli) before the tests"],
  [/^export PATH="\$HOME\/\.pulumi\/bin:\$PATH"$/, "the official CLI's directory; here `pulumi` is scripts/pulumi, the engine built at the same version"],
  [/^pulumi login$/, "Pulumi Cloud is not reachable; every stack here has a file backend of its own"],
  [/^pulumi org set-default /, "Pulumi Cloud is not reachable"],
  [/^export NATS_URL=nats:\/\/nats[.-]/, "the bus's addresses inside the company network; here NATS_URL is the test server's"],
  [USES_KUBECTL, "the local stack has no Kubernetes: test/runbook/runbook-kubectl.kube.test.ts runs these against production on the test control plane"],
  [/^export NATS_PASSWORD="\$EVENT_BUS_NATS_ADMIN_PASSWORD"$/, "the admin password exists on stacks with a NATS cluster on Kubernetes; the local server has no users"],
  [/^pulumi config set --stack production --secret --path event-bus:natsUserPasswords\./, "the NATS users' passwords exist on stacks with a NATS cluster on Kubernetes (test/engine/secrets.engine.test.ts carries them over there)"],
  [/^gh /, "GitHub is not reachable"],
  [/^pulumi state unprotect --stack production 'urn:pulumi:production::event-bus::event-bus:index:Kubernetes\$/, "the switch-over of a Kubernetes stack that generated its admin password before passwordEnv; the local stack has neither"],
  [/^git fetch origin /, "origin is GitHub"],
  [/^git push origin /, "origin is GitHub"],
  [/^kill <pid>/, "the PIDs are those of orphans the command before lists; the faults test stops them by PID as the runbook says"],
  [/^pulumi stack export --stack "\$STACK" --version /, "a file backend keeps no earlier checkpoints to export (\"the current backend does not provide the ability to export previous deployments\"); the import below takes the backup made earlier, the runbook's other way"],
  [/^git diff Pulumi\.\$STACK\.yaml$/, "the test's stack file is a copy outside the repository; the test reads the phase and mode in it instead"],
];

describe("runbook - every command of docs/RUNBOOK.md runs against the local stack, or says why it can not", () => {
  let server: ServerNode;
  let stack: EngineStack;
  let tools: string;
  beforeAll(async () => {
    server = await startServer();
    // A live bus in the middle of the migration: all four streams, the durables on the hot ones.
    stack = await engineStack("local", { overrides: { migrationPhase: 2, nats: { servers: [server.url] } } });
    await stack.ok(["up", "--yes", "--skip-preview"]);
    tools = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-runbook-bin-"));
    fs.symlinkSync(path.join(REPO_ROOT, "scripts", "pulumi"), path.join(tools, "pulumi"));
    fs.symlinkSync(NATS_CLI_BIN, path.join(tools, "nats"));
  }, 180_000);
  afterAll(async () => {
    await closeConnections();
    stack?.remove();
    if (tools) fs.rmSync(tools, { recursive: true, force: true });
    await server?.stop();
  });

  it("knows every command the runbook has", () => {
    const commands = runbookCommands(RUNBOOK);
    expect(commands.length).toBeGreaterThan(50);
    // Each is either run by the next test (RUN) or not here, with a reason.
    const unknown = commands.filter((c) => !NOT_HERE.some(([re]) => re.test(c)) && !RUN.some(([re]) => re.test(c)));
    expect(unknown).toEqual([]);
  });

  /** How each command that runs here is run: the text as typed, with what differs said in the table. */
  const RUN: Array<[RegExp, (c: string) => string]> = [
    [/^export STACK=/, () => "export STACK=local"], // the stack here
    [/^export NATS_USER=/, (c) => c],
    [/^export NATS_URL=nats:\/\/127\.0\.0\.1:4222$/, () => `export NATS_URL=${server.url}`], // the port-forward's local port is the test server's port here
    [/^pulumi (up|refresh) /, (c) => `${c.replace(/ --yes$/, "")} --yes`], // the prompt, answered
    [/^pulumi stack import --stack "\$STACK" --file before\.json$/, (c) => c.replace("before.json", '"$(ls event-bus-$STACK-2*.json | tail -n 1)"')], // the backup made earlier
    [/^nats consumer info <old stream> <durable>$/, () => "nats consumer info AA_CORE_HOT normalize-hrv-durable"],
    // The runbook watches the legacy stream for a minute; here 3 s show the same checks pass (nothing publishes to it).
    [/^npm run verify -- --stack staging --observe-ms 60000\b/, (c) => c.replace("--observe-ms 60000", "--observe-ms 3000")],
    // The port-forward's local port is the test server's monitoring port here; it has no users, so nobody is listed.
    [/^npm run anonymous-clients -- --monitor http:\/\/127\.0\.0\.1:8222 --fail-if-any$/, (c) => c.replace("http://127.0.0.1:8222", server.monitorUrl)],
    // It makes a password and prints its hash's `pulumi config set`: nothing here takes them.
    [/^npm run nats-password -- (admin|admin-b|preview|system|ingest|normalize|ingest-b)( production)?$/, (c) => c],
    [/^(pulumi|nats|npm run verify|ps) /, (c) => c],
  ];

  it("runs every other one, in order, each succeeding", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...stack.env, PATH: `${tools}:${process.env.PATH}`, STACK: "local", NS: "local" };
    const ran: string[] = [];
    for (const original of runbookCommands(RUNBOOK)) {
      if (NOT_HERE.some(([re]) => re.test(original))) continue;
      const how = RUN.find(([re]) => re.test(original));
      // Also when this test runs alone (-t): a command neither run nor listed fails it.
      if (!how) throw new Error(`docs/RUNBOOK.md has a command this test does not know: ${original} (add it to RUN or NOT_HERE)`);
      // The literal staging and production stacks are the local stack here.
      const command = how[1](original).replace(/--stack (staging|production)\b/g, '--stack "$STACK"');
      const exported = /^export ([A-Z_]+)=/.exec(command)?.[1];
      const began = Date.now();
      const r = spawnSync("bash", ["-c", exported ? `${command} && printf %s "$${exported}"` : command], { cwd: stack.dir, env, encoding: "utf8", timeout: 300_000 });
      const out = `${r.stdout}${r.stderr}`;
      expect({ command: original, as: command, code: r.status, output: r.status === 0 ? "" : out.slice(-2000) }).toEqual({ command: original, as: command, code: 0, output: "" });
      if (exported) env[exported] = r.stdout;
      ran.push(`${((Date.now() - began) / 1000).toFixed(1)} s  ${command}`);
      // What some of them must show, besides succeeding.
      if (command === "nats stream ls") expect(out).toMatch(/AA_CORE_HOT[\s\S]*AA_DLQ|AA_DLQ[\s\S]*AA_CORE_HOT/);
      if (command.startsWith("nats consumer info AA_CORE_HOT normalize-hrv-durable")) expect(out).toMatch(/Unprocessed Messages/);
      if (command.startsWith("pulumi stack history")) expect(out).toMatch(/update/i);
    }
    console.log(`runbook commands run here (${ran.length}):\n${ran.join("\n")}`);
    expect(ran.length).toBeGreaterThan(25);
    // The soak's check ran, shortened (the RUN table says why).
    expect(ran.filter((r) => r.includes("npm run verify") && r.includes("--observe-ms 3000"))).toHaveLength(1);
    // The rollback's config changes are in the stack file (what `git diff Pulumi.$STACK.yaml` would show).
    const file = fs.readFileSync(stack.stackFile, "utf8");
    expect(file).toMatch(/event-bus:migrationPhase: "?1"?/);
    expect(file).toMatch(/event-bus:mode: multi/);
    expect(file).not.toMatch(/forceDelete/);
    // ...and the bus is back at phase 1: the core subjects on the legacy stream again, the HRV durable with them.
    const legacy = JSON.parse(spawnSync(NATS_CLI_BIN, ["--server", server.url, "stream", "info", "ATHLETE_ALLY_EVENTS", "--json"], { encoding: "utf8" }).stdout) as { config: { subjects: string[] } };
    expect(legacy.config.subjects).toContain("athlete-ally.>");
    expect(spawnSync(NATS_CLI_BIN, ["--server", server.url, "consumer", "info", "ATHLETE_ALLY_EVENTS", "normalize-hrv-durable", "--json"]).status).toBe(0);
  }, 900_000);
});
