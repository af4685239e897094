/**
 * What the migration walk and the faults test share about running production on the test control
 * plane with the services' doubles: the time-compressed settings, which stream each normalize pod
 * bound, and the end of a run (publishing stops, everything published is processed or lost).
 */
import { poll } from "../../components/poll";
import { readRecords, type DoubleRecord } from "../doubles/records";
import { kubeStack, type KubeStack } from "../helpers/kube-stack";
import { CONSUMED } from "./walk";

/** The normalize-service image the stack files deploy. */
export const NORMALIZE = { image: "ghcr.io/athlete-ally/normalize-service", tag: "1.4.2" };

/**
 * Production with time compressed: the legacy stream's quiet period before retirement is 20 s, a
 * pull waits at most 1 s, an unacknowledged delivery comes back after 10 s; ingest publishes every 30 ms.
 */
export function productionRun(overrides: Record<string, unknown>): Promise<KubeStack> {
  return kubeStack("production", {
    namespaceExists: true,
    overrides: { ...overrides, retention: { legacyQuietPeriod: "20s" }, pullLoop: { expiresMs: 1000 }, hrvConsumer: { ackWait: "10s" }, vendorConsumer: { ackWait: "10s" } },
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
