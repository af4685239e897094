/**
 * One stack of N streams, each with one durable consumer, on one server, through the real Pulumi
 * engine (file backend): this project's resources against the engine's floor (the same graph of
 * dynamic resources whose provider does nothing), with a bare serial script as the reference
 * line. Prints seconds, the ratio ours / floor (goal: at most 1.3x at N=500), the growth from the
 * smallest to the largest N, and the state each resource carries.
 *
 *   npm run bench -- engine                        N = 10, 100, 500
 *   BENCH_N=100 npm run bench -- engine            one size
 *   BENCH_ENGINE_FLAGS="--parallel 32" ...         extra flags for every pulumi command
 *   BENCH_ENGINE_ENV="PULUMI_SKIP_CHECKPOINTS=true" environment for every pulumi command
 */
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { closeConnections } from "../components/jetstream/client";
import { engineStack, type EngineStack } from "../test/helpers/engine";
import { startServer, type ServerNode } from "../test/helpers/nats-servers";
import { printTable } from "./stats";

const SIZES = (process.env.BENCH_N ?? "10,100,500").split(",").map(Number);
const FLAGS = (process.env.BENCH_ENGINE_FLAGS ?? "").split(" ").filter(Boolean);
const ENV: NodeJS.ProcessEnv = Object.fromEntries((process.env.BENCH_ENGINE_ENV ?? "").split(" ").filter(Boolean).map((kv) => kv.split("=", 2)));

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function bareScript(server: ServerNode, n: number): Promise<number> {
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  const took = await seconds(async () => {
    for (let i = 0; i < n; i++) {
      await jsm.streams.add({ name: `BARE_${i}`, subjects: [`bare.${i}.>`], max_age: 3600 * 1e9 });
      await jsm.consumers.add(`BARE_${i}`, { durable_name: `d${i}`, filter_subject: `bare.${i}.x`, ack_policy: "explicit" as never });
    }
  });
  for (let i = 0; i < n; i++) await jsm.streams.delete(`BARE_${i}`);
  await nc.close();
  return took;
}

async function engineRun(server: ServerNode, n: number, program: string) {
  const stack: EngineStack = await engineStack("local", { program, overrides: { nats: { servers: [server.url] }, "bench:count": n } });
  try {
    const up = await seconds(() => stack.ok(["up", "--yes", "--skip-preview", ...FLAGS], { env: ENV }));
    const preview = await seconds(() => stack.ok(["preview", ...FLAGS], { env: ENV }));
    const exported = (await stack.ok(["stack", "export"])).stdout;
    const resources = (JSON.parse(exported).deployment.resources as unknown[]).length;
    const destroy = await seconds(() => stack.ok(["destroy", "--yes", "--skip-preview", ...FLAGS], { env: ENV }));
    return { up, preview, destroy, bytesPerResource: Math.round(exported.length / resources) };
  } finally {
    stack.remove();
  }
}

async function main(): Promise<void> {
  const server = await startServer();
  const rows: Array<Record<string, string | number>> = [];
  const byN = new Map<number, { floor: Awaited<ReturnType<typeof engineRun>>; ours: Awaited<ReturnType<typeof engineRun>> }>();
  try {
    for (const n of SIZES) {
      const bare = await bareScript(server, n);
      const floor = await engineRun(server, n, "n-noop.js");
      const ours = await engineRun(server, n, "n-streams.js");
      byN.set(n, { floor, ours });
      const f = (x: number) => x.toFixed(2);
      rows.push({
        N: n,
        "bare create s": f(bare),
        "floor up/preview/destroy s": `${f(floor.up)} / ${f(floor.preview)} / ${f(floor.destroy)}`,
        "ours up/preview/destroy s": `${f(ours.up)} / ${f(ours.preview)} / ${f(ours.destroy)}`,
        "ours/floor up/preview/destroy": `${f(ours.up / floor.up)} / ${f(ours.preview / floor.preview)} / ${f(ours.destroy / floor.destroy)}`,
        "state B/resource floor/ours": `${floor.bytesPerResource} / ${ours.bytesPerResource}`,
      });
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
    printTable(`engine: N streams + N consumers on one server${FLAGS.length ? ` (${FLAGS.join(" ")})` : ""}${process.env.BENCH_ENGINE_ENV ? ` [${process.env.BENCH_ENGINE_ENV}]` : ""}`, rows);
    if (SIZES.length > 1) {
      const [a, b] = [SIZES[0], SIZES[SIZES.length - 1]];
      const growth = (k: "up" | "preview" | "destroy", who: "floor" | "ours") => (byN.get(b)![who][k] / byN.get(a)![who][k]).toFixed(1);
      console.log(`growth ${a} -> ${b} (x${b / a} resources): floor up ${growth("up", "floor")}x, preview ${growth("preview", "floor")}x, destroy ${growth("destroy", "floor")}x; ours up ${growth("up", "ours")}x, preview ${growth("preview", "ours")}x, destroy ${growth("destroy", "ours")}x`);
    }
  } finally {
    await closeConnections();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
