/**
 * Tests run against real nats-server processes started by test/helpers/nats-servers.ts. Which
 * suites run, and on how many workers, is the tier's (test/tiers.js): EVENT_BUS_TEST_TIER=fast or
 * full (the default when Jest is run directly).
 */
const { TIER_ENV, TIERS, tierOf } = require("./test/tiers");

const tier = tierOf(process.env[TIER_ENV]);
// The workers read the tier too (test/helpers/tier.ts).
process.env[TIER_ENV] = tier;

module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", ...TIERS[tier].ignore],
  maxWorkers: TIERS[tier].maxWorkers,
  testSequencer: "<rootDir>/test/helpers/sequencer.js",
  reporters: ["default", "<rootDir>/test/helpers/suite-times-reporter.js"],
  globalSetup: "<rootDir>/test/helpers/global-setup.ts",
  globalTeardown: "<rootDir>/test/helpers/global-teardown.ts",
  testTimeout: 60_000,
  transform: { "^.+\\.ts$": ["ts-jest", {}] },
};
