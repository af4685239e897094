import fc from "fast-check";
import { formatDuration, parseDuration } from "../../components/jetstream/durations";

describe("durations", () => {
  it.each([
    ["48h", 48 * 3600e9],
    ["14d", 14 * 86400e9],
    ["60s", 60e9],
    ["1h30m", 5400e9],
    ["500ms", 500e6],
    ["0", 0],
    ["2m", 120e9],
  ])("%s is %d ns", (text, ns) => {
    expect(parseDuration(text)).toEqual({ nanos: ns });
  });

  it.each(["48", "h", "1.5h", "-1s", "1y", "", "1h 30m"])("rejects %p with what was expected", (text) => {
    const r = parseDuration(text);
    expect("problem" in r && r.problem).toMatch(/expected a duration such as "60s"/);
  });

  it("formats canonically", () => {
    expect(formatDuration(48 * 3600e9)).toBe("2d");
    expect(formatDuration(5400e9)).toBe("1h30m");
    expect(formatDuration(0)).toBe("0");
  });

  it("round-trips any exactly representable number of nanoseconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (ns) => {
        expect(parseDuration(formatDuration(ns))).toEqual({ nanos: ns });
      }),
    );
  });

  it("round-trips whole seconds up to ten years", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * 86400 }), (s) => {
        expect(parseDuration(formatDuration(s * 1e9))).toEqual({ nanos: s * 1e9 });
      }),
    );
  });

  it("refuses a duration JSON would round", () => {
    expect(parseDuration("365d1ns")).toEqual({ problem: expect.stringMatching(/can not be sent exactly/) });
    expect(parseDuration("365d")).toEqual({ nanos: 365 * 86400e9 });
  });
});
