import { closeConnections } from "../../components/jetstream/client";
import { openManager } from "./jetstream";
import { NatsCluster, ServerNode, startCluster, startServer } from "./nats-servers";
import { describeCluster } from "./tier";

export interface RunningTopology {
  urls: string[];
  replicas: number;
  cluster?: NatsCluster;
  server?: ServerNode;
  stop(): Promise<void>;
}

export interface Topology {
  kind: string;
  /** The streams' replicas on it: 3 needs a 3-node cluster, which only the full tier starts. */
  replicas: 1 | 3;
  start(): Promise<RunningTopology>;
}

/** The two shapes every provider test runs on: one server with R1, a 3-node cluster with R3. */
export const TOPOLOGIES: Topology[] = [
  {
    kind: "single server (R1)",
    replicas: 1,
    start: async () => {
      const server = await startServer();
      return { urls: [server.url], replicas: 1, server, stop: () => server.stop() };
    },
  },
  {
    kind: "3-node cluster (R3)",
    replicas: 3,
    start: async () => {
      const cluster = await startCluster(3);
      return { urls: cluster.urls, replicas: 3, cluster, stop: () => cluster.stop() };
    },
  },
];

/** `describe.each(TOPOLOGIES)`, with the cluster's describe run by the full tier only (skipped, and counted, in the fast one). */
export function describeEachTopology(title: string, body: (topology: Topology) => void): void {
  for (const t of TOPOLOGIES) (t.replicas === 3 ? describeCluster : describe)(title.replace("$kind", t.kind), () => body(t));
}

export type Admin = Awaited<ReturnType<typeof openManager>>;

/**
 * Starts a topology and an admin connection to it before a describe's tests, and after them
 * stops everything: the admin connection, the providers' pooled connections, the servers.
 */
export function useLiveTopology(start: () => Promise<RunningTopology>): { readonly topo: RunningTopology; readonly admin: Admin } {
  const live = {} as { topo: RunningTopology; admin: Admin };
  beforeAll(async () => {
    live.topo = await start();
    live.admin = await openManager(live.topo.urls);
  });
  afterAll(async () => {
    await live.admin?.close();
    await closeConnections();
    await live.topo?.stop();
  });
  return live;
}
