/**
 * The seeds' post-deployment checks, against the live bus: every stream and durable exists with
 * its configured settings, the durables' pending counts, the legacy stream is idle after the
 * cut-over, the DLQ takes no new dead letters, and (when probing) a probe event on the HRV and the
 * vendor subject lands in the stream that owns it and reaches its durable. Probes write, so in
 * production they run only when asked. With an ingest URL the HRV probe goes through
 * ingest-service's `/ingest/hrv`; with a Prometheus URL the seeds' metric checks run too.
 */
import { signIn } from "../../components/jetstream/identity";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/nats-core";
import { inNamespace, METRICS } from "../../components/monitoring/metrics";
import { kubernetesConfigOf } from "../../components/kubernetes/kubernetes-config";
import type { StackConfig } from "../../components/config/stack-config";
import { clientOptions } from "../../components/jetstream/client";
import type { ConnectionArgs } from "../../components/jetstream/connection-args";
import type { ConsumerConfigArgs } from "../../components/jetstream/consumer-args";
import { diffConsumerWire, diffStreamWire, type FieldChange } from "../../components/jetstream/update-rules";
import { consumerToWire, streamToWire, type WireConsumerConfig, type WireStreamConfig } from "../../components/jetstream/wire";
import { retirementHold } from "../../components/providers/retirement";
import { computeTopology } from "../../components/topology/topology";
import { poll, sleep } from "../../components/poll";

export interface CheckRow {
  check: string;
  expected: string;
  seen: string;
  pass: boolean;
}

export interface VerifyOptions {
  /** How long to watch the legacy stream and the DLQ for new messages. */
  observeMs?: number;
  /** Publish probe events: on by default, except in production. */
  probe?: boolean;
  /** ingest-service's base URL: the HRV probe is POSTed to `<url>/ingest/hrv` instead of published. */
  ingestUrl?: string;
  /** Prometheus' base URL: adds the seeds' metric checks. */
  prometheusUrl?: string;
}

/** What marks a probe: its message id, its header and its body, so consumers and people can tell. */
export const PROBE = { header: "Event-Bus-Probe", userId: "event-bus-verify-probe", idPrefix: "event-bus-verify-" } as const;

export function probeBody(kind: "hrv" | "vendor", now = new Date()): string {
  const base = { probe: true, source: "event-bus verify", userId: PROBE.userId, capturedAt: now.toISOString() };
  return JSON.stringify(kind === "hrv" ? { ...base, date: now.toISOString().slice(0, 10), rmssd: 55 } : { ...base, vendor: "oura" });
}

/** Live against configured, field by field: `maxAge is "1d", expected "2d"`. */
function drift(changes: FieldChange[]): string {
  const show = (v: unknown) => (v === undefined ? "(unset)" : JSON.stringify(v));
  return changes.map((c) => `${c.field} is ${show(c.old)}, expected ${show(c.new)}`).join("; ");
}

async function lastSeq(jsm: JetStreamManager, stream: string): Promise<number | undefined> {
  try {
    return (await jsm.streams.info(stream)).state.last_seq;
  } catch {
    return undefined;
  }
}

/**
 * The configuration a durable is judged against: where it starts is fixed when it is created, and
 * a durable the stack created after a hand-over starts right after its stream's claim (by start
 * sequence), not from the beginning as the declared "deliver all" would. That is no drift.
 */
export function startedAs(wanted: ConsumerConfigArgs, live: WireConsumerConfig): ConsumerConfigArgs {
  const declaredAll = (wanted.deliverPolicy ?? "all") === "all" && wanted.optStartSeq === undefined;
  if (!declaredAll || live.deliver_policy !== "by_start_sequence" || live.opt_start_seq === undefined) return wanted;
  return { ...wanted, deliverPolicy: "byStartSequence", optStartSeq: live.opt_start_seq };
}

export async function verifyBus(config: StackConfig, connection: ConnectionArgs, options: VerifyOptions = {}): Promise<CheckRow[]> {
  const t = computeTopology(config);
  const rows: CheckRow[] = [];
  const nc = await connect({ ...clientOptions(signIn(connection)), reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    for (const s of t.streams) {
      const check = `stream ${s.config.name}`;
      try {
        const live = await jsm.streams.info(s.config.name);
        const d = diffStreamWire(live.config as WireStreamConfig, streamToWire(s.config));
        rows.push({ check, expected: "exists as configured", seen: d.changes.length ? drift(d.changes) : "as configured", pass: d.changes.length === 0 });
      } catch (e) {
        rows.push({ check, expected: "exists as configured", seen: (e as Error).message, pass: false });
      }
    }
    for (const c of t.consumers) {
      const check = `consumer ${c.config.durableName} on ${c.config.stream}`;
      try {
        const live = await jsm.consumers.info(c.config.stream, c.config.durableName);
        const d = diffConsumerWire(live.config as WireConsumerConfig, consumerToWire(startedAs(c.config, live.config as WireConsumerConfig)));
        rows.push({ check, expected: "exists as configured", seen: d.changes.length ? drift(d.changes) : "as configured", pass: d.changes.length === 0 });
      } catch (e) {
        rows.push({ check, expected: "exists as configured", seen: (e as Error).message, pass: false });
      }
    }

    // Watch the streams that should take nothing new right now. In phase 3 the legacy stream stays
    // until its quiet period has passed and nothing on it is undelivered (components/providers/
    // retirement.ts): held, it is judged as in phase 2 (idle), and the row says why it is held.
    const legacy = config.streams.legacy;
    const legacyLive = t.phase >= 2 ? await jsm.streams.info(legacy).catch(() => undefined) : undefined;
    const hold = t.phase === 3 && legacyLive ? await retirementHold(jsm, legacyLive, { quietPeriod: config.retention.legacyQuietPeriod, deleteWhenDrained: true }, connection) : undefined;
    const watchLegacy = legacyLive !== undefined;
    const before = { legacy: legacyLive?.state.last_seq, dlq: await lastSeq(jsm, config.streams.dlq) };
    await sleep(options.observeMs ?? 3_000);
    const after = { legacy: watchLegacy ? await lastSeq(jsm, legacy) : undefined, dlq: await lastSeq(jsm, config.streams.dlq) };
    if (t.phase >= 2) {
      const grew = (after.legacy ?? 0) - (before.legacy ?? 0);
      const idle = grew ? `${grew} new messages` : "no new messages";
      rows.push({
        check: `legacy stream ${legacy} idle`,
        expected: t.phase === 3 ? "retired, or held until it may be and receiving nothing" : "no new messages",
        seen: !watchLegacy ? "retired" : t.phase < 3 ? idle : hold ? `held (${hold.reason}); ${idle}` : `still exists, though it may be retired now: the next pulumi up retires it; ${idle}`,
        pass: !watchLegacy ? t.phase === 3 : grew === 0 && (t.phase < 3 || hold !== undefined),
      });
    }
    const dead = (after.dlq ?? 0) - (before.dlq ?? 0);
    rows.push({ check: `DLQ ${config.streams.dlq} takes no new dead letters`, expected: "no new messages", seen: after.dlq === undefined ? "stream missing" : dead ? `${dead} new dead letters` : "no new messages", pass: after.dlq !== undefined && dead === 0 });

    for (const [durable, stream] of [
      [config.hrvConsumer.durable, t.bindings.hrv],
      [config.vendorConsumer.durable, t.bindings.vendor],
    ]) {
      const ci = await jsm.consumers.info(stream, durable).catch(() => undefined);
      rows.push({
        check: `pending on ${durable} (${stream})`,
        expected: "reported",
        seen: ci ? `${ci.num_pending} not delivered, ${ci.num_ack_pending} not acknowledged` : "durable missing",
        pass: ci !== undefined,
      });
    }

    const probe = options.probe ?? config.environment !== "production";
    const probes = [
      { kind: "hrv" as const, subject: config.hrvConsumer.filterSubject, durable: config.hrvConsumer.durable, owner: t.bindings.hrv },
      { kind: "vendor" as const, subject: config.vendorConsumer.filterSubject.replace(/>$/, "event-bus-probe").replace(/\*/g, "probe"), durable: config.vendorConsumer.durable, owner: t.bindings.vendor },
    ];
    for (const p of probes) {
      if (!probe) {
        rows.push({ check: `probe on ${p.subject}`, expected: "skipped", seen: `not written into ${config.environment} (pass --probe)`, pass: true });
        continue;
      }
      const infoBefore = await jsm.consumers.info(p.owner, p.durable).catch(() => undefined);
      const lastBefore = (await lastSeq(jsm, p.owner)) ?? 0;
      const id = `${PROBE.idPrefix}${p.kind}-${Date.now()}`;
      let stored: { stream: string; seq: number } | Error;
      if (p.kind === "hrv" && options.ingestUrl) {
        stored = await postToIngest(options.ingestUrl, probeBody("hrv")).then(
          () => waitForNewMessage(jsm, p.owner, lastBefore),
          (e: Error) => e,
        );
      } else {
        const h = headers();
        h.set(PROBE.header, "true");
        stored = await jetstream(nc)
          .publish(p.subject, probeBody(p.kind), { msgID: id, headers: h })
          .then((a) => ({ stream: a.stream, seq: a.seq }), (e: Error) => e);
      }
      const via = p.kind === "hrv" && options.ingestUrl ? ` via ${options.ingestUrl}/ingest/hrv` : "";
      rows.push({
        check: `probe on ${p.subject} stored${via}`,
        expected: `in ${p.owner}`,
        seen: stored instanceof Error ? stored.message : `in ${stored.stream} #${stored.seq}`,
        pass: !(stored instanceof Error) && stored.stream === p.owner,
      });
      let counted = false;
      let seen = "durable missing";
      if (!(stored instanceof Error)) {
        await poll({ timeoutMs: 2_000, intervalMs: 100 }, async () => {
          const ci = await jsm.consumers.info(p.owner, p.durable).catch(() => undefined);
          if (ci) {
            counted = ci.delivered.stream_seq >= stored.seq || ci.num_pending > (infoBefore?.num_pending ?? 0);
            seen = counted ? `pending ${ci.num_pending}, delivered up to #${ci.delivered.stream_seq}` : `not counted (pending ${ci.num_pending})`;
          }
          return counted || undefined;
        });
      }
      rows.push({ check: `probe counted by ${p.durable}`, expected: `counted on ${p.owner}`, seen, pass: counted });
    }
    if (options.prometheusUrl) rows.push(...(await prometheusChecks(options.prometheusUrl, t.bindings.hrv, kubernetesConfigOf(config)?.namespace)));
  } finally {
    await nc.close();
  }
  return rows;
}

async function postToIngest(baseUrl: string, body: string): Promise<void> {
  const res = await fetch(`${baseUrl.replace(/\/$/, "")}/ingest/hrv`, { method: "POST", headers: { "content-type": "application/json", [PROBE.header]: "true" }, body, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`POST /ingest/hrv answered ${res.status}`);
}

/** The first message stored on `stream` after `after`, within a few seconds. */
async function waitForNewMessage(jsm: JetStreamManager, stream: string, after: number): Promise<{ stream: string; seq: number } | Error> {
  const found = await poll({ timeoutMs: 5_000, intervalMs: 100 }, async () => {
    const last = await lastSeq(jsm, stream);
    return last !== undefined && last > after ? { stream, seq: last } : undefined;
  });
  return found ?? new Error(`nothing new on ${stream} within 5 s of the POST`);
}

/**
 * The seeds' metric checks: the `stream` label is there, and 100% of HRV successes are on the
 * expected stream; in the stack's namespace when it has one (one Prometheus may watch both
 * environments: staging's successes must not count for production).
 */
export async function prometheusChecks(baseUrl: string, expectedStream: string, namespace?: string): Promise<CheckRow[]> {
  const query = `sum(rate(${METRICS.hrvMessages.name}{${namespace ? `${inNamespace(namespace)}, ` : ""}result="success"}[5m])) by (stream)`;
  const check = `HRV successes by stream (Prometheus)`;
  try {
    const res = await fetch(`${baseUrl.replace(/\/$/, "")}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string };
    if (body.status !== "success") return [{ check, expected: `100% on ${expectedStream}`, seen: `query failed: ${body.error ?? res.status}`, pass: false }];
    const series = body.data!.result;
    const unlabelled = series.filter((s) => !s.metric.stream);
    const total = series.reduce((n, s) => n + Number(s.value[1]), 0);
    const onExpected = series.filter((s) => s.metric.stream === expectedStream).reduce((n, s) => n + Number(s.value[1]), 0);
    const share = total > 0 ? onExpected / total : 0;
    return [
      { check: "stream label on normalize_hrv_messages_total", expected: "present", seen: series.length === 0 ? "no series" : unlabelled.length ? `${unlabelled.length} series without it` : "present", pass: series.length > 0 && unlabelled.length === 0 },
      { check, expected: `100% on ${expectedStream}`, seen: total > 0 ? `${(share * 100).toFixed(1)}% on ${expectedStream}` : "no HRV successes in the last 5 minutes", pass: total > 0 && share === 1 },
    ];
  } catch (e) {
    return [{ check, expected: `100% on ${expectedStream}`, seen: (e as Error).message, pass: false }];
  }
}
