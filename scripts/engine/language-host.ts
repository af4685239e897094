/**
 * The Node.js language host for the Pulumi engine built here (scripts/install-tools.sh).
 *
 * The official CLI ships `pulumi-language-nodejs`; its Go module is not served to this project's
 * machines, so this stands in for it. It does what that host does for a compiled program: the
 * engine starts it (`pulumi-language-nodejs <engine-address>`), it prints its port, and for each
 * `Run` it starts `node @pulumi/pulumi/cmd/run` with the engine's monitor address, the stack's
 * config in PULUMI_CONFIG, and the program's entry point. `RunPlugin` starts plugin programs
 * written in Node.js, such as the policy pack (`--policy-pack policies`), with
 * `@pulumi/pulumi/cmd/run-policy-pack`. Everything else the engine asks is answered as "nothing
 * required": the program's plugins (the dynamic-provider host) are found on PATH.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { engineAddressOf, watchEngine } from "./engine-watch";

/* eslint-disable @typescript-eslint/no-require-imports */
const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb");
const langproto = require("@pulumi/pulumi/proto/language_pb");
const pluginproto = require("@pulumi/pulumi/proto/plugin_pb");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb");

/** What `@pulumi/pulumi/cmd/run` exits with once it has already shown the user the error. */
const EXITED_AFTER_LOGGING = 32;
const HOST_VERSION = require("@pulumi/pulumi/package.json").version as string;

type Callback = (err: grpc.ServiceError | null, value?: unknown) => void;

/** The programs and plugins this host started: ended with it. */
const children = new Set<ChildProcess>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}
type Unary = { request: any };

/** A script of the program's own @pulumi/pulumi, as the official host resolves it. */
export function sdkScript(programDir: string, script: string): string {
  return require.resolve(`@pulumi/pulumi/cmd/${script}`, { paths: [programDir, __dirname] });
}

/** The command line the official host gives `cmd/run` for one RunRequest. */
export function runArguments(req: any, engineAddress: string): { programDir: string; args: string[] } {
  const info = req.getInfo();
  const programDir: string = info?.getProgramDirectory() || req.getPwd();
  const entry: string = info?.getEntryPoint() || req.getProgram() || ".";
  const args = [
    `--monitor=${req.getMonitorAddress()}`,
    `--engine=${engineAddress}`,
    `--project=${req.getProject()}`,
    `--stack=${req.getStack()}`,
    `--pwd=${req.getPwd()}`,
    `--parallel=${req.getParallel()}`,
  ];
  if (req.getOrganization()) args.push(`--organization=${req.getOrganization()}`);
  if (info?.getRootDirectory()) args.push(`--root-directory=${info.getRootDirectory()}`);
  if (req.getDryrun()) args.push("--dry-run");
  args.push(path.resolve(programDir, entry), ...req.getArgsList());
  return { programDir, args };
}

/** The stack's configuration, passed to the program as the official host passes it. */
export function runEnvironment(req: any): NodeJS.ProcessEnv {
  const config: Record<string, string> = {};
  for (const [k, v] of req.getConfigMap().entries()) config[k] = v;
  return {
    ...process.env,
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
  };
}

function runProgram(engineAddress: string) {
  return (call: Unary, callback: Callback) => {
    const req = call.request;
    const { programDir, args } = runArguments(req, engineAddress);
    // The program's output goes to this host's stdout/stderr, which the engine shows the user.
    const child = track(spawn(process.execPath, [sdkScript(programDir, "run"), ...args], {
      cwd: req.getPwd() || programDir,
      env: runEnvironment(req),
      stdio: ["ignore", "inherit", "inherit"],
    }));
    child.once("error", (e) => callback({ ...e, code: grpc.status.INTERNAL, details: e.message, metadata: new grpc.Metadata() } as grpc.ServiceError));
    child.once("exit", (code, signal) => {
      const resp = new langproto.RunResponse();
      if (code === EXITED_AFTER_LOGGING) resp.setBail(true);
      else if (code !== 0) resp.setError(`Program exited with ${signal ? `signal ${signal}` : `non-zero exit code: ${code}`}`);
      callback(null, resp);
    });
  };
}

function runPlugin(call: grpc.ServerWritableStream<any, any>): void {
  const req = call.request;
  const info = req.getInfo();
  const programDir: string = info?.getProgramDirectory() || req.getPwd();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const kv of req.getEnvList() as string[]) {
    const i = kv.indexOf("=");
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  // A Node.js analyzer is a policy pack: the engine passes its own address as the one argument,
  // and @pulumi/policy reads the pack's version from package.json in its working directory.
  const policyPack = req.getKind() === "analyzer";
  const script = policyPack ? "run-policy-pack" : "run-plugin";
  const args = policyPack ? [...req.getArgsList(), programDir] : [programDir, ...req.getArgsList()];
  const cwd = policyPack ? programDir : req.getPwd() || programDir;
  const child = track(spawn(process.execPath, [sdkScript(programDir, script), ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] }));
  const send = (set: (r: any) => void) => {
    const r = new langproto.RunPluginResponse();
    set(r);
    call.write(r);
  };
  child.stdout!.on("data", (b: Buffer) => send((r) => r.setStdout(b)));
  child.stderr!.on("data", (b: Buffer) => send((r) => r.setStderr(b)));
  call.on("cancelled", () => child.kill("SIGTERM"));
  child.once("close", (code) => {
    send((r) => r.setExitcode(code ?? 1));
    call.end();
  });
}

const nothing =
  (make: () => any) =>
  (_call: Unary, callback: Callback): void =>
    callback(null, make());

export function languageRuntime(engineAddress: string): grpc.UntypedServiceImplementation {
  const unimplemented = (_call: unknown, callback: Callback) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: "not supported by the event-bus language host", metadata: new grpc.Metadata() } as grpc.ServiceError);
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(langrpc.LanguageRuntimeService)) impl[name] = unimplemented;
  return {
    ...impl,
    getRequiredPlugins: nothing(() => new langproto.GetRequiredPluginsResponse()),
    getRequiredPackages: nothing(() => new langproto.GetRequiredPackagesResponse()),
    getProgramDependencies: nothing(() => new langproto.GetProgramDependenciesResponse()),
    getPluginInfo: nothing(() => new pluginproto.PluginInfo().setVersion(HOST_VERSION)),
    about: nothing(() => new langproto.AboutResponse().setExecutable(process.execPath).setVersion(process.version)),
    installDependencies: (call: grpc.ServerWritableStream<any, any>) => call.end(),
    cancel: nothing(() => new emptyproto.Empty()),
    run: runProgram(engineAddress),
    runPlugin,
  };
}

function main(argv: string[]): void {
  const engineAddress = engineAddressOf(argv);
  const server = new grpc.Server();
  server.addService(langrpc.LanguageRuntimeService, languageRuntime(engineAddress));
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      console.error(`event-bus language host: ${err.message}`);
      process.exit(1);
    }
    process.stdout.write(`${port}\n`);
  });
  const shutdown = () => {
    for (const child of children) child.kill("SIGTERM");
    server.forceShutdown();
    process.exit(0);
  };
  // The engine ends its plugins with SIGINT/SIGTERM or by closing stdin; a killed engine does neither.
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, shutdown);
  // A killed engine: the host and the program it started end (engine-watch.ts).
  watchEngine(engineAddress, shutdown);
}

if (require.main === module) main(process.argv.slice(2));
