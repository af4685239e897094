import * as fs from "node:fs";
import { isAlive, LEDGER_ENV, ledgerPids } from "./pid-ledger";
import { stopSharedControlPlane } from "./shared-control-plane";

/**
 * Stops the shared control plane, then proves that no process a test started outlives the suite:
 * every PID recorded must be gone by now. A survivor is stopped by its PID and fails the run,
 * naming it.
 */
export default async function globalTeardown(): Promise<void> {
  await stopSharedControlPlane();
  const dir = process.env[LEDGER_ENV];
  if (!dir) return;
  const survivors = ledgerPids(dir).filter(isAlive);
  for (const pid of survivors) process.kill(pid, "SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
  if (survivors.length > 0) {
    throw new Error(`processes outlived the suite and were killed: PIDs ${survivors.join(", ")}`);
  }
}
