import fc from "fast-check";
import { findCollisions, isValidSubject, selfOverlaps, subjectIsSubsetOf, subjectProblem, subjectsCollide } from "../../components/jetstream/subjects";
import { subjectArb } from "../helpers/arbitraries";

describe("subjects - syntax", () => {
  it.each([
    ["athlete-ally.>", true],
    ["sleep.*", true],
    ["dlq.normalize.hrv.raw-received", true],
    ["*", true],
    [">", true],
    ["a.>.b", false],
    ["a.b*", false],
    ["a.>b", false],
    ["a..b", false],
    [".a", false],
    ["a.", false],
    ["a b", false],
    ["", false],
  ])("%s is valid: %s", (s, ok) => {
    expect(isValidSubject(s)).toBe(ok);
  });

  it("explains what is wrong", () => {
    expect(subjectProblem("a.>.b")).toBe("wildcard '>' must be the last token");
    expect(subjectProblem("a..b")).toMatch(/empty token/);
  });
});

describe("subjects - collisions", () => {
  it.each([
    ["vendor.>", "vendor.oura.>", true],
    ["athlete-ally.>", "vendor.>", false],
    ["sleep.*", "sleep.night", true],
    ["sleep.*", "sleep.night.deep", false],
    ["a.*.c", "a.b.*", true],
    ["a.>", "a", false],
    [">", "a", true],
    ["a.b", "a.b", true],
    ["*.b", "a.*", true],
    ["a.*", "b.*", false],
  ])("%s vs %s collide: %s", (a, b, expected) => {
    expect(subjectsCollide(a, b)).toBe(expected);
    expect(subjectsCollide(b, a)).toBe(expected);
  });

  it("is symmetric for any two subjects", () => {
    fc.assert(fc.property(subjectArb, subjectArb, (a, b) => subjectsCollide(a, b) === subjectsCollide(b, a)));
  });

  it("a subset always collides with its superset", () => {
    fc.assert(fc.property(subjectArb, subjectArb, (a, b) => !subjectIsSubsetOf(a, b) || subjectsCollide(a, b)));
  });

  it("lists a stream's own overlapping subjects", () => {
    expect(selfOverlaps(["a.>", "a.b", "c"])).toEqual([["a.>", "a.b"]]);
    expect(selfOverlaps(["a", "a"])).toEqual([["a", "a"]]);
  });

  it("finds the same collisions through the trie as by comparing every pair", () => {
    const owners = fc.array(fc.array(subjectArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(owners, (lists) => {
        const input = lists.map((subjects, owner) => ({ owner, subjects }));
        const naive = new Set<string>();
        for (let i = 0; i < lists.length; i++)
          for (let j = i + 1; j < lists.length; j++)
            for (const a of lists[i]) for (const b of lists[j]) if (subjectsCollide(a, b)) naive.add(`${i}|${j}|${a}|${b}`);
        const fast = new Set(findCollisions(input).map((c) => `${c.a}|${c.b}|${c.subjectA}|${c.subjectB}`));
        expect(fast).toEqual(naive);
      }),
      { numRuns: 300 },
    );
  });
});

describe("subjects - subset", () => {
  it.each([
    ["athlete-ally.hrv.raw-received", "athlete-ally.>", true],
    ["athlete-ally.>", "athlete-ally.>", true],
    ["athlete-ally.>", "athlete-ally.*", false],
    ["sleep.night", "sleep.*", true],
    ["sleep.*", "sleep.>", true],
    ["vendor.oura.>", "athlete-ally.>", false],
    ["a", "a.>", false],
  ])("%s within %s: %s", (inner, outer, expected) => {
    expect(subjectIsSubsetOf(inner, outer)).toBe(expected);
  });
});
