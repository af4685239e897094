/**
 * Which claims a stream's update trusts (components/jetstream/claims.ts): the state's for what it
 * knew the stream captured, the server's only when written after the state, and otherwise a claim
 * recovered from what arrived after the state's last sequence.
 */
import { claimsFor, claimsOf, nextClaims, recoveredClaim, trustedClaims, withClaims } from "../../components/jetstream/claims";

describe("claims - which to trust", () => {
  const state = { captured: ["athlete-ally.>", "sleep.*"], claims: { "athlete-ally.>": 40, "sleep.*": 0 }, lastSeq: 100 };

  it("a subject the state knew keeps the state's claim, whatever the server says (a hand edit, another stack's write)", () => {
    expect(trustedClaims(state, { "athlete-ally.>": 0, "sleep.*": 99_999 }, ["athlete-ally.>", "sleep.*"])).toEqual({ claims: { "athlete-ally.>": 40, "sleep.*": 0 }, unclaimedAfter: {} });
  });

  it("a subject captured since the state: the server's claim if written after it (an up killed after its claim), else recovered from what arrived after the state", () => {
    expect(trustedClaims(state, { "vendor.>": 120 }, ["vendor.>"])).toEqual({ claims: { "vendor.>": 120 }, unclaimedAfter: {} });
    // The seeds' rollback by hand: the subject is back with the claim it had an incarnation ago.
    expect(trustedClaims(state, { "vendor.>": 0 }, ["vendor.>"])).toEqual({ claims: {}, unclaimedAfter: { "vendor.>": 100 } });
    expect(trustedClaims(state, {}, ["vendor.>"])).toEqual({ claims: {}, unclaimedAfter: { "vendor.>": 100 } });
  });

  it("state of an earlier release (no last sequence) trusts the server as that release did; a claim known nowhere is recovered from the start", () => {
    expect(trustedClaims({ captured: ["a.>"], claims: { "a.>": 3 } }, { "a.>": 7 }, ["a.>", "b.>"])).toEqual({ claims: { "a.>": 7 }, unclaimedAfter: { "b.>": 0 } });
  });

  it("a recovered claim sits just before the first message found, or at the last sequence when none is", () => {
    expect(recoveredClaim(101, 130)).toBe(100);
    expect(recoveredClaim(undefined, 130)).toBe(130);
  });

  it("new subjects are claimed at the sequence reached, kept ones keep theirs, and the claims ride in the metadata beside the user's", () => {
    expect(nextClaims({ "a.>": 3 }, ["a.>"], ["a.>", "b.>"], 50)).toEqual({ "a.>": 3, "b.>": 50 });
    const wire = withClaims({ metadata: { team: "platform" } }, { "a.>": 3 });
    expect(claimsOf(wire)).toEqual({ "a.>": 3 });
    expect(wire.metadata.team).toBe("platform");
    expect(claimsFor({ "a.>": 3, "b.>": 50 }, ["b.>"])).toEqual({ "b.>": 50 });
  });
});
