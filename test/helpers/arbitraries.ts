import fc from "fast-check";

/** Random valid subjects from a small alphabet, so that wildcards and literals meet often. */
export const subjectArb: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.constantFrom("a", "b", "c", "*"), { minLength: 0, maxLength: 3 }), fc.constantFrom("a", "b", "*", ">"))
  .map(([head, last]) => [...head, last].join("."));

/**
 * Subjects for streams: mostly with a literal first token (a leading wildcard overlaps the
 * server's reserved subjects), and now and then anything, so those refusals are exercised too.
 */
export const streamSubjectArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 9, arbitrary: fc.tuple(fc.constantFrom("a", "b"), subjectArb).map(([first, rest]) => `${first}.${rest}`) },
  { weight: 1, arbitrary: subjectArb },
);

/**
 * Pairs of stream subjects: two independent ones (mostly disjoint), or a subject with the
 * second one widening it (`a.b.c` and `a.>`), so that both answers of a collision check come up
 * often in every run rather than by luck.
 */
export const streamSubjectPairArb: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(streamSubjectArb, streamSubjectArb) },
  {
    weight: 1,
    arbitrary: fc.tuple(streamSubjectArb, fc.nat()).map(([a, cut]): [string, string] => {
      const tokens = a.split(".");
      if (tokens.length < 2) return [a, a];
      return [a, [...tokens.slice(0, 1 + (cut % (tokens.length - 1))), ">"].join(".")];
    }),
  },
);
