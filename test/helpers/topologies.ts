import { NatsCluster, ServerNode, startCluster, startServer } from "./nats-servers";

export interface RunningTopology {
  urls: string[];
  replicas: number;
  cluster?: NatsCluster;
  server?: ServerNode;
  stop(): Promise<void>;
}

/** The two shapes every provider test runs on: one server with R1, a 3-node cluster with R3. */
export const TOPOLOGIES: Array<{ kind: string; start(): Promise<RunningTopology> }> = [
  {
    kind: "single server (R1)",
    start: async () => {
      const server = await startServer();
      return { urls: [server.url], replicas: 1, server, stop: () => server.stop() };
    },
  },
  {
    kind: "3-node cluster (R3)",
    start: async () => {
      const cluster = await startCluster(3);
      return { urls: cluster.urls, replicas: 3, cluster, stop: () => cluster.stop() };
    },
  },
];
