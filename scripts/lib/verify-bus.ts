/**
 * The seeds' post-deployment checks, against the live bus: every stream and durable exists with
 * its configured settings, the legacy stream is idle after the cut-over, the DLQ takes no new
 * dead letters, and a test HRV event lands in the stream that owns it and reaches its durable.
 */
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { StackConfig } from "../../components/config/stack-config";
import { clientOptions } from "../../components/jetstream/client";
import type { ConnectionArgs } from "../../components/jetstream/connection-args";
import { diffConsumerWire, diffStreamWire, type FieldChange } from "../../components/jetstream/update-rules";
import { consumerToWire, streamToWire, type WireConsumerConfig, type WireStreamConfig } from "../../components/jetstream/wire";
import { computeTopology } from "../../components/topology/topology";

export interface CheckRow {
  check: string;
  expected: string;
  seen: string;
  pass: boolean;
}

export interface VerifyOptions {
  /** How long to watch the legacy stream and the DLQ for new messages. */
  observeMs?: number;
  /** Publish the test HRV event (on by default). */
  probe?: boolean;
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

export async function verifyBus(config: StackConfig, connection: ConnectionArgs, options: VerifyOptions = {}): Promise<CheckRow[]> {
  const t = computeTopology(config);
  const rows: CheckRow[] = [];
  const nc = await connect({ ...clientOptions(connection), reconnect: false });
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
        const d = diffConsumerWire(live.config as WireConsumerConfig, consumerToWire(c.config), c.config.stream);
        rows.push({ check, expected: "exists as configured", seen: d.changes.length ? drift(d.changes) : "as configured", pass: d.changes.length === 0 });
      } catch (e) {
        rows.push({ check, expected: "exists as configured", seen: (e as Error).message, pass: false });
      }
    }

    // Watch the streams that should take nothing new right now.
    const legacy = config.streams.legacy;
    const watchLegacy = t.phase >= 2 && t.streams.some((s) => s.role === "legacy");
    const before = { legacy: watchLegacy ? await lastSeq(jsm, legacy) : undefined, dlq: await lastSeq(jsm, config.streams.dlq) };
    await new Promise((r) => setTimeout(r, options.observeMs ?? 3_000));
    const after = { legacy: watchLegacy ? await lastSeq(jsm, legacy) : undefined, dlq: await lastSeq(jsm, config.streams.dlq) };
    if (t.phase >= 2) {
      const grew = (after.legacy ?? 0) - (before.legacy ?? 0);
      rows.push({
        check: `legacy stream ${legacy} idle`,
        expected: t.phase === 3 ? "retired" : "no new messages",
        seen: !watchLegacy ? (await lastSeq(jsm, legacy)) === undefined ? "retired" : "still exists" : grew ? `${grew} new messages` : "no new messages",
        pass: watchLegacy ? grew === 0 : (await lastSeq(jsm, legacy)) === undefined,
      });
    }
    const dead = (after.dlq ?? 0) - (before.dlq ?? 0);
    rows.push({ check: `DLQ ${config.streams.dlq} takes no new dead letters`, expected: "no new messages", seen: after.dlq === undefined ? "stream missing" : dead ? `${dead} new dead letters` : "no new messages", pass: after.dlq !== undefined && dead === 0 });

    if (options.probe ?? true) {
      const subject = config.hrvConsumer.filterSubject;
      const durable = config.hrvConsumer.durable;
      const owner = t.bindings.hrv;
      const js = jetstream(nc);
      const infoBefore = await jsm.consumers.info(owner, durable).catch(() => undefined);
      const body = JSON.stringify({ userId: "event-bus-verify", date: new Date().toISOString().slice(0, 10), rmssd: 55, capturedAt: new Date().toISOString() });
      const ack = await js.publish(subject, body, { msgID: `event-bus-verify-${Date.now()}` }).catch((e: Error) => e);
      rows.push({
        check: `test event on ${subject} stored`,
        expected: `in ${owner}`,
        seen: ack instanceof Error ? ack.message : `in ${ack.stream} #${ack.seq}`,
        pass: !(ack instanceof Error) && ack.stream === owner,
      });
      let counted = false;
      let seen = "durable missing";
      if (!(ack instanceof Error)) {
        for (let i = 0; i < 20 && !counted; i++) {
          const ci = await jsm.consumers.info(owner, durable).catch(() => undefined);
          if (ci) {
            counted = ci.delivered.stream_seq >= ack.seq || ci.num_pending > (infoBefore?.num_pending ?? 0);
            seen = counted ? `pending ${ci.num_pending}, delivered up to #${ci.delivered.stream_seq}` : `not counted (pending ${ci.num_pending})`;
          }
          if (!counted) await new Promise((r) => setTimeout(r, 100));
        }
      }
      rows.push({ check: `test event counted by ${durable}`, expected: `counted on ${owner}`, seen, pass: counted });
    }
  } finally {
    await nc.close();
  }
  return rows;
}
