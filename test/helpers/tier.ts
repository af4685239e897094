/**
 * The tier this run is (test/tiers.js): the fast tier skips what needs a 3-node cluster inside the
 * suites it runs; the full tier runs everything.
 */
import { TIER_ENV, tierOf } from "../tiers";

export const TIER = tierOf(process.env[TIER_ENV]);

/** A describe that needs a 3-node JetStream cluster: run by the full tier, skipped (and counted) by the fast one. */
export const describeCluster: jest.Describe = TIER === "full" ? describe : describe.skip;
