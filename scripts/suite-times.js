#!/usr/bin/env node
/**
 * Prints each suite's wall time in the last whole run of a tier (default: full), longest first,
 * as test/helpers/suite-times-reporter.js recorded it: `npm run suite-times [-- fast] [-- --top N]`.
 */
const fs = require("node:fs");
const path = require("node:path");
const { TIMES_DIR } = require("../test/helpers/suite-times-reporter");
const { tierOf } = require("../test/tiers");

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args[topAt + 1]) : Infinity;
const tier = tierOf(args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--top") ?? "full");
const file = path.join(TIMES_DIR, `${tier}.json`);
if (!fs.existsSync(file)) {
  console.error(`no whole run of the ${tier} tier recorded yet (${file}); run bash scripts/test.sh${tier === "full" ? " full" : ""}`);
  process.exit(1);
}
const run = JSON.parse(fs.readFileSync(file, "utf8"));
const sum = run.suites.reduce((s, x) => s + x.seconds, 0);
console.log(`${tier} tier, finished ${run.finishedAt}: ${run.suites.length} suites, ${run.wallSeconds} s of wall time on ${run.workers} workers (suites' own times add up to ${Math.round(sum)} s)${run.passed ? "" : ", FAILED"}`);
console.log("| seconds | tests | suite |\n|---:|---:|---|");
for (const s of run.suites.slice(0, top)) console.log(`| ${s.seconds.toFixed(1)} | ${s.tests} | ${s.suite}${s.failed ? " (failed)" : ""} |`);
