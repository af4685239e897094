/**
 * Starts a Pulumi plugin the way the engine does (a node process that serves gRPC on a loopback
 * port and prints the port on its first line of output) and stops it by its PID.
 */
import { ChildProcess, spawn } from "node:child_process";

export interface PluginProcess {
  child: ChildProcess;
  port: string;
  /** SIGTERM to the PID, resolved once the process has exited. */
  stop(): Promise<void>;
}

export async function startPlugin(what: string, args: string[], cwd: string, timeoutMs = 20_000): Promise<PluginProcess> {
  const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (b: Buffer) => {
        out += b.toString();
        const m = out.match(/^(\d+)\s*$/m);
        if (m) resolve(m[1]);
      });
      child.once("exit", (code) => reject(new Error(`${what} exited with ${code}: ${stderr}`)));
      setTimeout(() => reject(new Error(`${what} did not print its port within ${timeoutMs} ms: ${stderr}`)), timeoutMs).unref();
    });
    return { child, port, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
