import { addCarries, CARRY_KEY, carriesFor, carriesOf, withCarries, withoutCarries } from "../../components/jetstream/carry";

describe("carry - what a take marks for the claimant", () => {
  const stored = () => true;
  it("marks a subject given back that no durable on the holder reads and one on the claimant does, from the holder's claim to its last sequence", () => {
    expect(carriesFor(["athlete-ally.>"], { "athlete-ally.>": 7 }, 12, [], [["athlete-ally.hrv.raw-received"]], stored)).toEqual({ "athlete-ally.>": { after: 7, through: 12 } });
  });
  it("marks nothing a durable on the holder reads (it drains there), nothing no durable on the claimant reads, nothing without a claim, nothing stored before the claim", () => {
    expect(carriesFor(["a.>"], { "a.>": 0 }, 5, [["a.x"]], [["a.x"]], stored)).toEqual({});
    expect(carriesFor(["a.>"], { "a.>": 0 }, 5, [[]], [["a.x"]], stored)).toEqual({});
    expect(carriesFor(["a.>"], { "a.>": 0 }, 5, [["b.>"]], [["b.>"]], stored)).toEqual({});
    expect(carriesFor(["a.>"], {}, 5, [], [["a.x"]], stored)).toEqual({});
    expect(carriesFor(["a.>"], { "a.>": 5 }, 5, [], [["a.x"]], stored)).toEqual({});
    expect(carriesFor(["a.>"], { "a.>": 2 }, 5, [], [["a.x"]], () => false)).toEqual({});
  });
  it("round-trips through metadata, beside the user's keys, and leaves the key out when nothing is marked", () => {
    const marked = withCarries({ metadata: { team: "core" } }, addCarries({}, "LEGACY", { "a.>": { after: 1, through: 4 } }));
    expect(marked.metadata.team).toBe("core");
    expect(carriesOf(marked)).toEqual({ LEGACY: { "a.>": { after: 1, through: 4 } } });
    expect(withCarries(marked, withoutCarries(carriesOf(marked), "LEGACY", ["a.>"]))).toEqual({ metadata: { team: "core" } });
  });
  it("ignores marks it can not read (hand edits): never a range that is empty or negative", () => {
    for (const text of ["{", "[]", JSON.stringify({ L: { "a.>": { after: 4, through: 4 } } }), JSON.stringify({ L: { "a.>": { after: -1, through: 4 } } }), JSON.stringify({ L: "x" })]) {
      expect(carriesOf({ metadata: { [CARRY_KEY]: text } })).toEqual({});
    }
  });
});
