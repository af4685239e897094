/**
 * The hand-over window: while a subject moves from one stream to another, how long no stream
 * captures it, as a publisher sees it (a JetStream publish with nothing capturing the subject is
 * refused: no responders). On one server (R1) and a 3-node cluster (R3), median of several runs,
 * side by side in one run:
 * - this stack: both streams know the program's subject map (`handover`); the releasing stream
 *   keeps what the other claims, and the claimant takes it right before its own update. The two
 *   updates run at once, as one `pulumi up` runs them;
 * - naive: release the subject (one update), then claim it (the other), as two resources with no
 *   hand-over would, in the order `--parallel 1` may run them;
 * - created in the step: the claimant does not exist yet and is created with the subjects (the
 *   take, then the create); on 3 servers the create answers only once the new stream's group has
 *   elected its leader, and the window spans that election. This is why every stream a phase
 *   hands subjects to exists from phase 0 on (components/topology/topology.ts);
 * - the seeds' runbook: create the claiming stream while the old one still holds the subjects,
 *   which the server refuses (subject overlap), so it never completes.
 * Per run: the gap from the last publish the old stream stored to the first the new one stored,
 * and how many publishes were refused meanwhile.
 * Run: npm run bench -- handover
 */
import { jetstream } from "@nats-io/jetstream";
import { closeConnections } from "../components/jetstream/client";
import * as streams from "../components/providers/stream-provider";
import { openManager } from "../test/helpers/jetstream";
import { startCluster, startServer } from "../test/helpers/nats-servers";
import { median, printTable } from "./stats";

const RUNS = Number(process.env.BENCH_RUNS ?? 9);

interface Window {
  gapMs: number;
  refused: number;
}

/** Publishes to `subject` without pause until `stop()`, then says the window between the old and the new stream. */
function publisher(nc: Awaited<ReturnType<typeof openManager>>["nc"], subject: string, from: string, to: string) {
  const js = jetstream(nc, { timeout: 2_000 });
  let running = true;
  let lastOld = 0;
  let firstNew = 0;
  let refused = 0;
  const loop = (async () => {
    while (running) {
      try {
        const ack = await js.publish(subject, "x");
        const at = performance.now();
        if (ack.stream === from) lastOld = at;
        if (ack.stream === to && !firstNew) firstNew = at;
      } catch {
        refused++;
      }
    }
  })();
  return async (): Promise<Window> => {
    running = false;
    await loop;
    return { gapMs: firstNew && lastOld ? Math.max(0, firstNew - lastOld) : Number.NaN, refused };
  };
}

async function measure(kind: string, urls: string[], replicas: number) {
  const connection = { servers: urls };
  const { nc, jsm, close } = await openManager(urls);
  const ours: Window[] = [];
  const naive: Window[] = [];
  const created: Window[] = [];
  let seeds = "";
  for (let i = 0; i < RUNS; i++) {
    for (const [way, out] of [["ours", ours], ["naive", naive], ["created", created]] as const) {
      const [from, to, moving, kept] = [`OLD_${way}_${i}`, `NEW_${way}_${i}`, `${way}${i}.core.>`, `${way}${i}.keep.>`];
      // This stack's streams know where every subject goes once the step is done.
      const handover = way !== "naive" ? { handover: { [from]: [kept], [to]: [moving] } } : {};
      const old = (await streams.create({ name: from, subjects: [moving, kept], replicas, connection, ...handover })).outs as streams.StreamOutputs;
      const hot = way === "created" ? undefined : ((await streams.create({ name: to, replicas, connection, ...handover })).outs as streams.StreamOutputs);
      const stop = publisher(nc, `${way}${i}.core.x`, from, to);
      await new Promise((r) => setTimeout(r, 50));
      const release = () => streams.updateStream(from, old, { name: from, subjects: [kept], replicas, connection, ...handover });
      const claim = () => (hot ? streams.updateStream(to, hot, { name: to, subjects: [moving], replicas, connection, ...handover }) : streams.create({ name: to, subjects: [moving], replicas, connection, ...handover }));
      if (way !== "naive") await Promise.all([release(), claim()]);
      else {
        await release();
        await claim();
      }
      await new Promise((r) => setTimeout(r, 50));
      out.push(await stop());
    }
    if (i === 0) {
      await streams.create({ name: `SEEDS_OLD`, subjects: ["seeds.>"], replicas, connection });
      const refused = await streams.create({ name: `SEEDS_NEW`, subjects: ["seeds.>"], replicas, handoverWaitMs: 0, connection }).catch((e: Error) => e);
      seeds = refused instanceof Error ? (refused.message.match(/err_code \d+/)?.[0] ?? "refused") : "accepted";
    }
  }
  for await (const n of jsm.streams.names()) await jsm.streams.delete(n);
  await close();
  await closeConnections();
  const gap = (ws: Window[]) => median(ws.map((w) => w.gapMs).filter((g) => !Number.isNaN(g)));
  const refused = (ws: Window[]) => median(ws.map((w) => w.refused));
  const [o, n] = [gap(ours), gap(naive)];
  return {
    topology: kind,
    "this stack: gap ms": o.toFixed(2),
    "this stack: refused": refused(ours),
    "naive: gap ms": n.toFixed(2),
    "naive: refused": refused(naive),
    "created in the step: gap ms": gap(created).toFixed(2),
    "created: refused": refused(created),
    "naive / this stack (gap)": o < 0.05 ? "no measurable window" : (n / o).toFixed(1),
    "seeds' runbook": `overlap refused (${seeds})`,
  };
}

async function main() {
  const rows = [];
  const server = await startServer();
  try {
    rows.push(await measure("R1, one server", [server.url], 1));
  } finally {
    await server.stop();
  }
  const cluster = await startCluster(3);
  try {
    rows.push(await measure("R3, 3-node cluster", cluster.urls, 3));
  } finally {
    await cluster.stop();
  }
  printTable(`hand-over window as a publisher sees it: from the last publish the old stream stored to the first the new one stored, and publishes refused meanwhile (median of ${RUNS} runs)`, rows);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
