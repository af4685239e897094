/**
 * Watches a NATS cluster's roll from outside, side by side: how long each pod was out (from the
 * last sample its old incarnation was Ready to the first its new one is), and how long each
 * stream had no leader (from the last sample that named a leader to the next one that did; a
 * JetStream API request that fails or times out counts as no leader). Both are sampled at the same
 * interval, so both are upper bounds of the same precision.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { sleep } from "../../components/poll";
import type { KubeCluster } from "./kube-cluster";

export interface Window {
  /** The pod's or the stream's name. */
  name: string;
  from: number;
  to: number;
  ms: number;
}

interface Sample<T> {
  at: number;
  value: T;
}

/**
 * The gaps of a series of samples: runs of samples that are not `ok`, from the last ok sample
 * before to the first after; and, where `same` says two ok samples are not the same incarnation
 * (a pod made again between two samples, quicker than one sample), the time between them.
 */
export function gaps<T>(name: string, samples: ReadonlyArray<Sample<T>>, ok: (v: T) => boolean, same: (a: T, b: T) => boolean = () => true): Window[] {
  const out: Window[] = [];
  let lastOk: Sample<T> | undefined;
  let open = false;
  for (const s of samples) {
    if (ok(s.value)) {
      if (lastOk && (open || !same(lastOk.value, s.value))) out.push({ name, from: lastOk.at, to: s.at, ms: s.at - lastOk.at });
      open = false;
      lastOk = s;
    } else if (lastOk) {
      open = true;
    }
  }
  if (open && lastOk) out.push({ name, from: lastOk.at, to: Number.POSITIVE_INFINITY, ms: Number.POSITIVE_INFINITY });
  return out;
}

export interface RollWatch {
  /** Stops sampling and gives each pod's time out and each stream's time without a leader. */
  stop(): Promise<{ pods: Window[]; leaderless: Window[]; samples: number }>;
}

/** Samples the pods matching `selector` and each stream's leader every `intervalMs` until stopped. */
export function watchRoll(cluster: KubeCluster, namespace: string, selector: string, nc: NatsConnection, streams: readonly string[], intervalMs = 250): RollWatch {
  const pods = new Map<string, Array<Sample<{ uid: string; ready: boolean }>>>();
  const leaders = new Map<string, Array<Sample<string | undefined>>>(streams.map((s) => [s, []]));
  let running = true;
  let count = 0;
  const loop = (async () => {
    const jsm = await jetstreamManager(nc, { timeout: 1_000 });
    while (running) {
      const at = Date.now();
      const [list, infos] = await Promise.all([
        cluster.list("Pod", namespace, selector).catch(() => undefined),
        Promise.all(streams.map((s) => jsm.streams.info(s).then((i) => i.cluster?.leader || undefined, () => undefined))),
      ]);
      if (list) {
        // A pod missing from the list (deleted, not yet made again) is out too.
        for (const name of new Set([...pods.keys(), ...list.map((p: any) => p.metadata.name as string)])) {
          const p = list.find((x: any) => x.metadata.name === name);
          const ready = !!p && !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True");
          const series = pods.get(name) ?? [];
          series.push({ at, value: { uid: p?.metadata.uid ?? "", ready } });
          pods.set(name, series);
        }
      }
      streams.forEach((s, i) => leaders.get(s)!.push({ at, value: infos[i] }));
      count++;
      await sleep(Math.max(0, intervalMs - (Date.now() - at)));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return {
        // A pod is back once an incarnation is Ready.
        pods: [...pods].flatMap(([name, s]) => gaps(name, s, (v) => v.ready, (a, b) => a.uid === b.uid)),
        leaderless: [...leaders].flatMap(([name, s]) => gaps(name, s, (v) => v !== undefined)),
        samples: count,
      };
    },
  };
}
