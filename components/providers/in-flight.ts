/**
 * How many provider operations run in this process now. The dynamic-provider host ends once the
 * engine is gone (scripts/engine/dynamic-provider.ts), but only after the operations under way
 * have finished: a hand-over cut between its take and its claim (or before its give-back) would
 * leave subjects that no stream captures until the next `pulumi up`.
 */
import type * as pulumi from "@pulumi/pulumi";

/** Kept on globalThis: the providers and the host may load this module from different copies. */
const COUNTER = "__eventBusProviderCallsInFlight";

export const callsInFlight = (): number => ((globalThis as Record<string, unknown>)[COUNTER] as number | undefined) ?? 0;

function adjust(by: number): void {
  (globalThis as Record<string, unknown>)[COUNTER] = callsInFlight() + by;
}

/** The provider with every operation counted while it runs. */
export function counted(provider: pulumi.dynamic.ResourceProvider): pulumi.dynamic.ResourceProvider {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(provider)) {
    out[name] =
      typeof fn !== "function"
        ? fn
        : async (...args: unknown[]) => {
            adjust(1);
            try {
              return await (fn as (...a: unknown[]) => unknown)(...args);
            } finally {
              adjust(-1);
            }
          };
  }
  return out as unknown as pulumi.dynamic.ResourceProvider;
}

/** The longest a process waits for the operations under way before it ends (a durable's drain waits up to 5 minutes by default). */
export const IN_FLIGHT_GRACE_MS = 600_000;

/** Resolves once no operation runs in this process, or after `graceMs`. */
export async function whenIdle(graceMs = IN_FLIGHT_GRACE_MS, pollMs = 200): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (callsInFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, pollMs));
}
