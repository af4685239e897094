/**
 * What the service doubles write, one JSON line per event, to the file the pod agent names in
 * EVENT_BUS_TEST_RECORDS (test/helpers/pod-agent.ts), and how a test reads them back. Written
 * synchronously before a message is acknowledged, so a record is never missing for a message
 * the server counts as done.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export type DoubleRecord =
  | { t: "start"; pod: string; at: number; mode?: string }
  | { t: "bound"; pod: string; at: number; key: string; stream: string; durable: string }
  | { t: "bind-failed"; pod: string; at: number; key: string; reason: string }
  | { t: "processed"; pod: string; at: number; id: string; key: string; stream: string; seq: number; redelivered: boolean }
  | { t: "fetch-failed"; pod: string; at: number; key: string; reason: string }
  | { t: "published"; pod: string; at: number; id: string; subject: string; stream: string; seq: number; duplicate: boolean; attempts: number; firstAt: number; expected?: string }
  | { t: "refused"; pod: string; at: number; id: string; subject: string; expected?: string; reason: string }
  | { t: "abandoned"; pod: string; at: number; id: string; subject: string }
  | { t: "stop"; pod: string; at: number };

export const RECORDS_ENV = "EVENT_BUS_TEST_RECORDS";
export const HEALTH_PORT_ENV = "EVENT_BUS_TEST_HTTP_PORT";

/** A record as a double writes it: the pod and the time are added. */
type Written = DoubleRecord extends infer R ? (R extends DoubleRecord ? Omit<R, "pod" | "at"> : never) : never;

/** Appends records to the file named in the environment. */
export function recorder(pod: string): (r: Written) => void {
  const file = process.env[RECORDS_ENV];
  if (!file) throw new Error(`${RECORDS_ENV} is not set`);
  const fd = fs.openSync(file, "a");
  return (r) => fs.writeSync(fd, `${JSON.stringify({ at: Date.now(), ...r, pod })}\n`);
}

/** Every record written under a folder (one file per pod incarnation), each line the doubles have finished writing. */
export function readRecords(dir: string): DoubleRecord[] {
  if (!fs.existsSync(dir)) return [];
  const out: DoubleRecord[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".jsonl"))) {
    // Only whole lines: a double may be writing the last one while this reads (it is read next time).
    const lines = fs.readFileSync(path.join(dir, f), "utf8").split("\n").slice(0, -1);
    for (const line of lines) if (line) out.push(JSON.parse(line) as DoubleRecord);
  }
  return out.sort((a, b) => a.at - b.at);
}
