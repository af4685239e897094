/**
 * Duration strings as users write them ("48h", "60s", "1h30m", "14d") and the integer
 * nanoseconds JetStream stores. Exact integer arithmetic: a string and the nanoseconds it
 * names always map back to each other, so a plan never shows a change that is not one.
 */

const UNIT_NANOS: Record<string, number> = {
  ns: 1,
  us: 1_000,
  "µs": 1_000,
  ms: 1_000_000,
  s: 1_000_000_000,
  m: 60_000_000_000,
  h: 3_600_000_000_000,
  d: 86_400_000_000_000,
};

/** The server's limit: a signed 64-bit count of nanoseconds. */
const MAX_NANOS = 2n ** 63n - 1n;

const PART = /(\d+)(ns|us|µs|ms|s|m|h|d)/y;

/** Nanoseconds for a duration string, or an explanation of what was expected. */
export function parseDuration(text: string): { nanos: number } | { problem: string } {
  const expected = `expected a duration such as "60s", "48h", "1h30m" or "14d" (units ns, us, ms, s, m, h, d)`;
  if (typeof text !== "string") return { problem: expected };
  const s = text.trim();
  if (s === "0") return { nanos: 0 };
  if (s.length === 0) return { problem: expected };
  let total = 0n;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const at = PART.lastIndex;
    const m = PART.exec(s);
    if (!m) return { problem: `${expected}; could not read "${s.slice(at)}"` };
    total += BigInt(m[1]) * BigInt(UNIT_NANOS[m[2]]);
  }
  // JSON numbers are doubles: refuse a value the wire would silently round.
  const nanos = Number(total);
  if (total > MAX_NANOS || BigInt(nanos) !== total) return { problem: `${expected}; "${s}" can not be sent exactly, use whole seconds or a coarser unit` };
  return { nanos };
}

/** The shortest canonical string for a number of nanoseconds ("48h", "1h30m", "14d", "0"). */
export function formatDuration(nanos: number): string {
  if (nanos === 0) return "0";
  let rest = BigInt(nanos);
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms", "us", "ns"]) {
    const size = BigInt(UNIT_NANOS[unit]);
    const count = rest / size;
    if (count > 0n) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
