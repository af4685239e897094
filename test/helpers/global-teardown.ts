import * as fs from "node:fs";
import { isAlive, LEDGER_ENV, ledgerPids } from "./pid-ledger";

/**
 * Proves that no nats-server outlives the suite: every PID a test started must be gone by now.
 * A survivor is stopped by its PID and fails the run, naming it.
 */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env[LEDGER_ENV];
  if (!dir) return;
  const survivors = ledgerPids(dir).filter(isAlive);
  for (const pid of survivors) process.kill(pid, "SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
  if (survivors.length > 0) {
    throw new Error(`nats-server processes outlived the suite and were killed: PIDs ${survivors.join(", ")}`);
  }
}
