/**
 * One Kubernetes control plane for every suite of a Jest run that runs stacks with pods as
 * processes (`*.kube.test.ts`, test/tiers.js): the global setup starts it once when such a suite
 * is in the run (test/helpers/sequencer.js says which), each suite works in a namespace of its own
 * (test/helpers/kube-stack.ts), and the global teardown stops it by its PIDs. A suite run outside
 * such a run (no shared control plane advertised) starts one of its own.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { connectKubeCluster, startKubeCluster, type KubeCluster, type KubeConnection, type StartedKubeCluster } from "./kube-cluster";

/** The environment variable naming the shared control plane's connection file (inherited by the workers). */
export const SHARED_KUBE_ENV = "EVENT_BUS_SHARED_KUBE";

interface SharedFile {
  connection: KubeConnection;
  nodes: string[];
}

const started = globalThis as typeof globalThis & { __eventBusSharedKube?: { cluster: StartedKubeCluster; file: string } };

/** Global setup: starts the shared control plane (3 fake nodes in 3 zones, pods wait for their processes). */
export async function startSharedControlPlane(): Promise<void> {
  const cluster = await startKubeCluster({ nodes: 3, processes: true });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-shared-kube-")), "connection.json");
  const shared: SharedFile = { connection: cluster.connection, nodes: cluster.nodes };
  fs.writeFileSync(file, JSON.stringify(shared), { mode: 0o600 });
  started.__eventBusSharedKube = { cluster, file };
  process.env[SHARED_KUBE_ENV] = file;
}

/** Global teardown: stops the shared control plane's processes by their PIDs. */
export async function stopSharedControlPlane(): Promise<void> {
  const shared = started.__eventBusSharedKube;
  if (!shared) return;
  started.__eventBusSharedKube = undefined;
  delete process.env[SHARED_KUBE_ENV];
  await shared.cluster.stop();
  fs.rmSync(path.dirname(shared.file), { recursive: true, force: true });
}

/**
 * The control plane a suite runs on: the shared one when the run started it, else one of the
 * suite's own. `owned` says whether the suite must stop it.
 */
export async function controlPlane(): Promise<{ cluster: KubeCluster & { kubeconfig: string }; owned: boolean }> {
  const file = process.env[SHARED_KUBE_ENV];
  if (file && fs.existsSync(file)) {
    const shared = JSON.parse(fs.readFileSync(file, "utf8")) as SharedFile;
    return { cluster: connectKubeCluster(shared.connection, shared.nodes), owned: false };
  }
  return { cluster: await startKubeCluster({ nodes: 3, processes: true }), owned: true };
}
