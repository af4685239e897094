/**
 * A ledger of the nats-server PIDs this test run started, one empty file per PID in the
 * folder named by EVENT_BUS_PID_LEDGER. Jest's global teardown reads it to prove that no
 * server outlives the suite, stopping any survivor by its PID. Outside jest (scripts,
 * benches) an exit hook does the same for the process's own servers; inside jest the test
 * sandbox has its own `process` whose exit event never fires, hence the ledger.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const LEDGER_ENV = "EVENT_BUS_PID_LEDGER";

const mine = new Set<number>();
let exitHookInstalled = false;

function ledgerDir(): string | undefined {
  return process.env[LEDGER_ENV];
}

export function recordPid(pid: number): void {
  mine.add(pid);
  const dir = ledgerDir();
  if (dir) fs.writeFileSync(path.join(dir, String(pid)), "");
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const p of mine) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
    });
  }
}

export function forgetPid(pid: number): void {
  mine.delete(pid);
  const dir = ledgerDir();
  if (dir) fs.rmSync(path.join(dir, String(pid)), { force: true });
}

/** True when a process with this PID exists (and is not a zombie we could still reap). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.split(" ")[2] !== "Z";
  } catch {
    return true;
  }
}

/**
 * Every process descended from `pid` now (children, their children, ...), with its command line,
 * read from /proc. Taken before a process is killed, it names by PID what the kill leaves behind.
 */
export function descendants(pid: number): Array<{ pid: number; args: string }> {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields after its closing ")" are fixed.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  const out: Array<{ pid: number; args: string }> = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parentOf) {
      if (ppid !== parent) continue;
      let args = "";
      try {
        args = fs.readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0").join(" ").trim();
      } catch {
        /* gone meanwhile */
      }
      out.push({ pid: child, args });
      walk(child);
    }
  };
  walk(pid);
  return out;
}

/** The PIDs recorded in a ledger folder and not yet forgotten. */
export function ledgerPids(dir: string): number[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map(Number).filter(Number.isInteger);
}

/** Stops a child by its PID: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopChild(child: import("node:child_process").ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const graceful = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
    clearTimeout(timer);
    if (!graceful) {
      child.kill("SIGKILL");
      await exited;
    }
  }
  if (child.pid !== undefined) forgetPid(child.pid);
}

/**
 * Takes charge of a child the tests started: records its PID in the ledger, keeps the tail of its
 * output, and never lets it keep the test process alive (the ledger's exit hook stops it by PID).
 */
export function superviseChild(child: import("node:child_process").ChildProcess, keepChunks = 200): { exited: Promise<void>; output(): string } {
  if (child.pid === undefined) throw new Error(`${child.spawnfile} did not start`);
  recordPid(child.pid);
  const tail: string[] = [];
  const keep = (b: Buffer) => {
    tail.push(b.toString());
    if (tail.length > keepChunks) tail.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { exited, output: () => tail.join("") };
}
