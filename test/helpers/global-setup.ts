import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LEDGER_ENV } from "./pid-ledger";
import { assertPinnedServer } from "./nats-servers";

/** Checks the pinned server once, and opens the PID ledger the workers inherit through the environment. */
export default async function globalSetup(): Promise<void> {
  assertPinnedServer();
  process.env[LEDGER_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-pids-"));
}
