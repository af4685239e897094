/**
 * Records each suite's wall time of a run into .state/test-times/<tier>.json, so that the next
 * slow suite is visible (`npm run suite-times` prints the last full run's; scripts/suite-times.js).
 */
const fs = require("node:fs");
const path = require("node:path");
const { TIER_ENV, tierOf } = require("../tiers");

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TIMES_DIR = path.join(REPO_ROOT, ".state", "test-times");

class SuiteTimesReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
    this.suites = [];
    this.startedAt = Date.now();
  }

  onTestResult(_test, result) {
    const { start, end } = result.perfStats;
    this.suites.push({
      suite: path.relative(REPO_ROOT, result.testFilePath),
      seconds: Math.round((end - start) / 100) / 10,
      tests: result.numPassingTests + result.numFailingTests + result.numPendingTests,
      failed: result.numFailingTests > 0 || result.testExecError !== undefined,
    });
  }

  onRunComplete(_contexts, results) {
    // A run of some suites only (a path or -t) says nothing of the tier's whole.
    if (this.globalConfig.testPathPattern || this.globalConfig.testNamePattern) return;
    const tier = tierOf(process.env[TIER_ENV]);
    fs.mkdirSync(TIMES_DIR, { recursive: true });
    const run = {
      tier,
      finishedAt: new Date().toISOString(),
      wallSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      workers: this.globalConfig.maxWorkers,
      passed: results.numFailedTests === 0 && results.numRuntimeErrorTestSuites === 0,
      suites: this.suites.sort((a, b) => b.seconds - a.seconds),
    };
    fs.writeFileSync(path.join(TIMES_DIR, `${tier}.json`), JSON.stringify(run, null, 1));
  }
}

module.exports = SuiteTimesReporter;
module.exports.TIMES_DIR = TIMES_DIR;
