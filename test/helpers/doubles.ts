/**
 * The service doubles (test/doubles/) as the pods run them: compiled once per run to plain
 * JavaScript (test/doubles/tsconfig.json), so that each pod's process starts without compiling.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./nats-servers";

const SOURCE_DIR = path.join(REPO_ROOT, "test", "doubles");
const TSCONFIG = path.join(SOURCE_DIR, "tsconfig.json");
const OUT_DIR = path.join(REPO_ROOT, "out", "test-doubles");

/** Compiles the doubles (the global setup does, when a suite of the run runs pods). */
export function buildDoubles(): void {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", TSCONFIG], { cwd: REPO_ROOT, stdio: "pipe" });
}

/** The compiled script of a double (`normalize-service`), refused when missing or older than its sources. */
export function compiledDouble(name: string): string {
  const script = path.join(OUT_DIR, `${name}.js`);
  const built = fs.existsSync(script) ? fs.statSync(script).mtimeMs : 0;
  const newest = Math.max(...fs.readdirSync(SOURCE_DIR).filter((f) => f.endsWith(".ts")).map((f) => fs.statSync(path.join(SOURCE_DIR, f)).mtimeMs));
  if (built < newest) throw new Error(`${script} is missing or older than test/doubles/; the global setup builds it (npx tsc -p test/doubles/tsconfig.json)`);
  return script;
}
