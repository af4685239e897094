import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SHARED_KUBE_WANTED_ENV } from "../tiers";
import { buildDoubles } from "./doubles";
import { LEDGER_ENV } from "./pid-ledger";
import { startSharedControlPlane } from "./shared-control-plane";

/**
 * Opens the PID ledger the workers inherit through the environment, and when a suite of the run
 * runs pods (the sequencer says so) compiles the service doubles and starts the shared control plane. Servers are checked
 * against the pin when a suite starts one, so pure suites need none.
 */
export default async function globalSetup(): Promise<void> {
  process.env[LEDGER_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-pids-"));
  if (process.env[SHARED_KUBE_WANTED_ENV] === String(process.pid)) {
    buildDoubles();
    await startSharedControlPlane();
  }
}
