/**
 * The providers' create, update and read, timed side by side with the bare JetStream API call
 * each one wraps, on one server (R1) and on a 3-node cluster (R3). Prints medians and the
 * ratio provider / bare (goal: at most 1.2x). Run: npm run bench -- providers
 */
import { closeConnections } from "../components/jetstream/client";
import { streamToWire } from "../components/jetstream/wire";
import * as streams from "../components/providers/stream-provider";
import { openManager } from "../test/helpers/jetstream";
import { startCluster, startServer } from "../test/helpers/nats-servers";
import { median, printTable } from "./stats";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 25);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function measure(kind: string, urls: string[], replicas: number) {
  const { jsm, close } = await openManager(urls);
  const connection = { servers: urls };
  const samples: Record<string, number[]> = {};
  const add = (k: string, ms: number) => (samples[k] ??= []).push(ms);
  const args = (name: string, maxAge: string) => ({ name, subjects: [`${name.toLowerCase()}.>`], replicas, maxAge });
  // Warm both paths (connections, JIT) before measuring.
  await streams.create({ ...args("WARM_P", "1h"), connection });
  await jsm.streams.add(streamToWire(args("WARM_B", "1h")));
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first so drift in the machine's load hits both alike.
    const order = i % 2 === 0 ? ["bare", "provider"] : ["provider", "bare"];
    for (const who of order) {
      const name = `${who === "bare" ? "B" : "P"}_${i}`;
      if (who === "bare") {
        add("create bare", await timed(() => jsm.streams.add(streamToWire(args(name, "1h")))));
        add("update bare", await timed(() => jsm.streams.update(name, streamToWire(args(name, "2h")))));
        add("read bare", await timed(() => jsm.streams.info(name)));
      } else {
        let outs!: streams.StreamOutputs;
        add("create provider", await timed(async () => (outs = (await streams.create({ ...args(name, "1h"), connection })).outs as streams.StreamOutputs)));
        add("update provider", await timed(async () => (outs = (await streams.updateStream(name, outs, { ...args(name, "2h"), connection })).outs as streams.StreamOutputs)));
        add("read provider", await timed(() => streams.read(name, outs)));
      }
    }
  }
  for await (const n of jsm.streams.names()) await jsm.streams.delete(n);
  await close();
  await closeConnections();
  return ["create", "update", "read"].map((op) => {
    const bare = median(samples[`${op} bare`]);
    const provider = median(samples[`${op} provider`]);
    return { topology: kind, op, "bare ms": bare.toFixed(2), "provider ms": provider.toFixed(2), ratio: (provider / bare).toFixed(2) };
  });
}

async function main() {
  const rows = [];
  const server = await startServer();
  try {
    rows.push(...(await measure("R1, one server", [server.url], 1)));
  } finally {
    await server.stop();
  }
  const cluster = await startCluster(3);
  try {
    rows.push(...(await measure("R3, 3-node cluster", cluster.urls, 3)));
  } finally {
    await cluster.stop();
  }
  printTable(`providers vs bare JetStream API (median of ${ROUNDS} rounds, goal ratio <= 1.2)`, rows);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
