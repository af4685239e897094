/**
 * The one deadline loop: try, and while the answer is "not yet", wait and try again until a
 * deadline. Every wait in the project (retries of transient faults, hand-overs, drains, servers
 * starting in tests) goes through it.
 */

export interface PollOptions {
  /** Give up once the next try would start after this many milliseconds. */
  timeoutMs: number;
  /** The first pause between tries (default 100 ms). */
  intervalMs?: number;
  /** Pauses double up to this (default: they stay at intervalMs). */
  maxIntervalMs?: number;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Calls `attempt` until it returns something other than undefined, and returns that; returns
 * undefined when the deadline comes first. `attempt` gets the try's number (from 1) and may throw
 * to stop at once.
 */
export async function poll<T>(opts: PollOptions, attempt: (n: number) => Promise<T | undefined> | T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + opts.timeoutMs;
  let pause = opts.intervalMs ?? 100;
  for (let n = 1; ; n++) {
    const value = await attempt(n);
    if (value !== undefined) return value;
    if (Date.now() + pause > deadline) return undefined;
    await sleep(pause);
    pause = Math.min(pause * 2, Math.max(opts.maxIntervalMs ?? pause, pause));
  }
}

/** The promise's value, or undefined when it takes longer than `ms` (or fails): for looks that must not hold a preview up. */
export function within<T>(ms: number, p: Promise<T>): Promise<T | undefined> {
  return Promise.race([p.catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
}
