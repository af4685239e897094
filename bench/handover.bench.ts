/**
 * The hand-over window: how long a moved subject has no stream, for the ways a step can be run,
 * on one server (R1) and a 3-node cluster (R3). Printed side by side, median of several runs.
 * - this stack: the claiming stream exists ahead (capturing only its name); the release and the
 *   claim are two updates run at once, as one `pulumi up` runs them (the claim waits out the overlap);
 * - naive: release the subjects, then create the claiming stream (the create is inside the window);
 * - the seeds' runbook: create the claiming stream while the old one still holds the subjects,
 *   which the server refuses (subject overlap), so it never completes.
 * Run: npm run bench -- handover
 */
import { closeConnections } from "../components/jetstream/client";
import * as streams from "../components/providers/stream-provider";
import { openManager } from "../test/helpers/jetstream";
import { startCluster, startServer } from "../test/helpers/nats-servers";
import { median, printTable } from "./stats";

const RUNS = Number(process.env.BENCH_RUNS ?? 9);

async function measure(kind: string, urls: string[], replicas: number) {
  const connection = { servers: urls };
  const { jsm, close } = await openManager(urls);
  const ours: number[] = [];
  const naive: number[] = [];
  let seeds = "";
  for (let i = 0; i < RUNS; i++) {
    const legacy = (await streams.create({ name: `LEG_${i}`, subjects: [`core${i}.>`, `vendor${i}.oura.>`], replicas, connection })).outs as streams.StreamOutputs;
    const hot = (await streams.create({ name: `HOT_${i}`, replicas, connection })).outs as streams.StreamOutputs;
    let released = 0;
    let claimed = 0;
    await Promise.all([
      streams.updateStream(`LEG_${i}`, legacy, { name: `LEG_${i}`, subjects: [`core${i}.>`], replicas, connection }).then(() => (released = performance.now())),
      streams.updateStream(`HOT_${i}`, hot, { name: `HOT_${i}`, subjects: [`vendor${i}.>`], replicas, connection }).then(() => (claimed = performance.now())),
    ]);
    ours.push(claimed - released);

    const old = (await streams.create({ name: `OLD_${i}`, subjects: [`naive${i}.>`], replicas, connection })).outs as streams.StreamOutputs;
    if (i === 0) {
      const refused = await streams.create({ name: `SEEDS_${i}`, subjects: [`naive${i}.>`], replicas, handoverWaitMs: 0, connection }).catch((e: Error) => e);
      seeds = refused instanceof Error ? (refused.message.match(/err_code \d+/)?.[0] ?? "refused") : "accepted";
    }
    await streams.updateStream(`OLD_${i}`, old, { name: `OLD_${i}`, replicas, connection });
    const releasedNaive = performance.now();
    await streams.create({ name: `NEW_${i}`, subjects: [`naive${i}.>`], replicas, connection });
    naive.push(performance.now() - releasedNaive);
  }
  for await (const n of jsm.streams.names()) await jsm.streams.delete(n);
  await close();
  await closeConnections();
  // The claim can land before the release's answer reaches the client: no window at all.
  const o = Math.max(0, median(ours));
  const n = median(naive);
  return { topology: kind, "this stack ms": o.toFixed(2), "naive ms": n.toFixed(2), "naive / this stack": o < 0.05 ? "no measurable window" : (n / o).toFixed(1), "seeds' runbook": `overlap refused (${seeds})` };
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
  printTable(`hand-over window: time a moved subject has no stream (median of ${RUNS} runs)`, rows);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
