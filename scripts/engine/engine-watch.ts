/**
 * What every plugin process this project starts for the engine does, as the engine's own Go
 * plugins are meant to (rpcutil.Healthcheck): look, every few seconds, whether the engine is still
 * there, and end once it is gone. A SIGKILLed `pulumi up` closes no plugin: without this, the
 * language host, the random plugin and the dynamic-provider host (each mid-operation, perhaps)
 * would run on with no parent.
 */
import * as net from "node:net";

/** How often a plugin checks that the engine is still there. */
export const HEALTHCHECK_MS = Number(process.env.EVENT_BUS_HEALTHCHECK_MS ?? 5_000);

/** Whether something still listens at the engine's address. */
export function engineAlive(address: string): Promise<boolean> {
  const i = address.lastIndexOf(":");
  return new Promise((resolve) => {
    const socket = net.connect({ host: address.slice(0, i) || "127.0.0.1", port: Number(address.slice(i + 1)) });
    socket.setTimeout(5_000);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
  });
}

/** Calls `gone` once nothing listens at the engine's address any more (no address, no watch: a plugin run by hand). */
export function watchEngine(engineAddress: string, gone: () => void): void {
  if (!engineAddress) return;
  const timer = setInterval(async () => {
    if (await engineAlive(engineAddress)) return;
    clearInterval(timer);
    gone();
  }, HEALTHCHECK_MS);
  timer.unref();
}

/** The engine's address among a plugin's arguments: flags (-root=..., -tracing=...) come first, the address last. */
export const engineAddressOf = (argv: readonly string[]): string => argv.filter((a) => !a.startsWith("-")).pop() ?? "";
