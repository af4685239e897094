/**
 * What the migration walk and the faults test share about running production on the test control
 * plane with the services' doubles: the time-compressed settings, which stream each normalize pod
 * bound, and the end of a run (publishing stops, everything published is processed or lost).
 */
import type { ChildProcess } from "node:child_process";
import { poll, sleep } from "../../components/poll";
import { readRecords, type DoubleRecord } from "../doubles/records";
import { kubeStack, type KubeStack } from "../helpers/kube-stack";
import { CONSUMED, type StepBounds } from "./walk";

/** The normalize-service image the stack files deploy. */
export const NORMALIZE = { image: "ghcr.io/athlete-ally/normalize-service", tag: "1.4.2" };

/**
 * Production with time compressed: the legacy stream's quiet period before retirement is 60 s (the
 * walk's phase 3 preview must come inside it: its last message is at the 1 -> 2 hand-over, and the
 * rest of that step, its settling and the preview took up to 30 s on a loaded machine), a pull
 * waits at most 1 s, an unacknowledged delivery comes back after 10 s; ingest publishes every 30 ms.
 */
export function productionRun(overrides: Record<string, unknown>, more: Pick<Parameters<typeof kubeStack>[1] & object, "namespaceExists" | "kubernetes"> = {}): Promise<KubeStack> {
  return kubeStack("production", {
    namespaceExists: true,
    ...more,
    overrides: { ...overrides, retention: { legacyQuietPeriod: "60s" }, pullLoop: { expiresMs: 1000 }, hrvConsumer: { ackWait: "10s" }, vendorConsumer: { ackWait: "10s" } },
    agentEnv: { EVENT_BUS_TEST_EVENT_INTERVAL_MS: "30" },
  });
}

/** The normalize pods that run and are ready now, and where each bound its durables last. */
export async function boundNow(k: KubeStack): Promise<Array<{ pod: string; hrv?: string; oura?: string }>> {
  const pods = (await k.cluster.list("Pod", k.namespace, "app=normalize-service")).filter(
    (p: any) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
  );
  const records = readRecords(k.agent.recordsDir).filter((r): r is Extract<DoubleRecord, { t: "bound" }> => r.t === "bound");
  return pods.map((p: any) => {
    const mine = records.filter((r) => r.pod === p.metadata.name);
    const last = (key: string) => mine.filter((r) => r.key === key).pop()?.stream;
    return { pod: p.metadata.name as string, hrv: last("hrv"), oura: last("oura") };
  });
}

/** Publishing stops; everything published is processed within a bounded wait (or counts as lost). Returns all records. */
export async function stopPublishing(k: KubeStack): Promise<DoubleRecord[]> {
  await k.cluster.request("PATCH", `/apis/apps/v1/namespaces/${k.namespace}/deployments/ingest-service`, { spec: { replicas: 0 } }, "application/merge-patch+json");
  await poll({ timeoutMs: 30_000, intervalMs: 250 }, async () => ((await k.cluster.list("Pod", k.namespace, "app=ingest-service")).length === 0 ? true : undefined));
  await poll({ timeoutMs: 60_000, intervalMs: 500 }, () => {
    const r = readRecords(k.agent.recordsDir);
    const done = new Set(r.filter((x) => x.t === "processed").map((x) => (x as { id: string }).id));
    return r.every((x) => x.t !== "published" || !CONSUMED.includes(x.subject) || done.has(x.id)) ? true : undefined;
  });
  return readRecords(k.agent.recordsDir);
}

/**
 * What the walk's steps may show ingest's callers and the readers, at most, with the settings
 * above (ingest's 3 pods publish every 30 ms and send a refused event again after 50 ms; a
 * delivery comes back after an ack wait of 10 s):
 * - refused: the steps that move the core subjects refuse publishes from the hand-over until
 *   ingest's roll ends (its old pods still expect the old stream): 53 to 288 per such step were
 *   measured (2026-12-02, the full tier on 2 loaded cores), none in the other steps; a subject left
 *   without any stream refuses about 60 a second.
 * - longestRetryMs: one caller's longest wait on one event, refusals included: at most 5.9 s was
 *   measured; a subject without its stream for 15 s fails it.
 * - longestWaitMs: a delivery held by a normalize pod that a roll stops comes back after one ack
 *   wait (10 s); at most 2.9 s was measured.
 */
export const WALK_BOUNDS: StepBounds = { refused: 600, longestRetryMs: 15_000, longestWaitMs: 15_000 };

/**
 * Runs `strike` once a `pulumi up` (its `started` hook) prints that it is changing a resource, so
 * that it lands while the up is under way whatever the machine's speed; `done()` gives what it returned.
 */
export function strikeWhenUnderWay<T>(strike?: () => Promise<T>): { started?: (child: ChildProcess, output: () => string) => void; done(): Promise<T | undefined> } {
  if (!strike) return { done: async () => undefined };
  let result: Promise<T | undefined> = Promise.resolve(undefined);
  let watching = true;
  return {
    started: (_child, output) => {
      result = (async () => {
        while (watching) {
          if (/\b(creating|updating|deleting|replacing)\b/.test(output())) return strike();
          await sleep(20);
        }
        return undefined;
      })();
    },
    done: async () => {
      watching = false;
      return result;
    },
  };
}
