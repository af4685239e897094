import fc from "fast-check";

/** Random valid subjects from a small alphabet, so that wildcards and literals meet often. */
export const subjectArb: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.constantFrom("a", "b", "c", "*"), { minLength: 0, maxLength: 3 }), fc.constantFrom("a", "b", "*", ">"))
  .map(([head, last]) => [...head, last].join("."));
