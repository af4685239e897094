/** Tests run against real nats-server processes started by test/helpers/nats-servers.ts. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  globalSetup: "<rootDir>/test/helpers/global-setup.ts",
  globalTeardown: "<rootDir>/test/helpers/global-teardown.ts",
  testTimeout: 60_000,
  transform: { "^.+\\.ts$": ["ts-jest", {}] },
};
