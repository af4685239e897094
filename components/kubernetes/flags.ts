/**
 * The flags ConfigMap the services read (`event-bus-config`), exactly as the seeds list it, and
 * its digest (on the pod templates, so a change of flags rolls the Deployments). Pure.
 */
import { createHash } from "node:crypto";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { ConsumerConfigKey, ConsumerSettings, StackConfig } from "../config/stack-config";
import { parseDuration } from "../jetstream/durations";
import { labels } from "./labels";
import { CLIENT_PORT } from "./nats-conf";
import { EVENT_BUS_LAYOUT, natsClientUrl } from "./nats-layout";

/** The ConfigMap's name, as the services' Deployments and the seeds know it. */
export const FLAGS_CONFIGMAP = "event-bus-config";

/** What the flags are made of: the mode, the stream names, the HRV durable's settings and the pull loop. */
export type FlagsInput = Pick<StackConfig, "mode" | "streams" | "pullLoop"> & Record<ConsumerConfigKey, ConsumerSettings>;

/**
 * The seeds' `event-bus-config` data: only keys the services read (normalize-service binds by
 * EVENT_STREAM_MODE and finds its durables by trying streams, so no key says where they are).
 * A change of any of them rolls both Deployments; the migration phase alone changes none.
 * NATS_URL names the cluster's client Service (the live one's, when taken over: nats-layout.ts).
 */
export function flagsData(c: FlagsInput, natsUrl = natsClientUrl(EVENT_BUS_LAYOUT, CLIENT_PORT)): Record<string, string> {
  const ackWait = parseDuration(c.hrvConsumer.ackWait);
  return {
    EVENT_STREAM_MODE: c.mode,
    FEATURE_SERVICE_MANAGES_STREAMS: "false",
    FEATURE_SERVICE_MANAGES_CONSUMERS: "false",
    STREAM_CORE_NAME: c.streams.core,
    STREAM_VENDOR_NAME: c.streams.vendor,
    STREAM_DLQ_NAME: c.streams.dlq,
    STREAM_LEGACY_NAME: c.streams.legacy,
    NORMALIZE_HRV_DURABLE: c.hrvConsumer.durable,
    NORMALIZE_HRV_MAX_DELIVER: String(c.hrvConsumer.maxDeliver),
    NORMALIZE_HRV_DLQ_SUBJECT: c.hrvConsumer.dlqSubject,
    NORMALIZE_HRV_ACK_WAIT_MS: String("nanos" in ackWait ? ackWait.nanos / 1e6 : 60_000),
    HRV_BATCH_SIZE: String(c.pullLoop.batchSize),
    HRV_EXPIRES_MS: String(c.pullLoop.expiresMs),
    HRV_IDLE_BACKOFF_MS: String(c.pullLoop.idleBackoffMs),
    NATS_URL: natsUrl,
  };
}

/** A digest of the flags: put on the pod templates, so a change of flags rolls the Deployments. */
export function flagsChecksum(data: Record<string, string>): string {
  const sorted = Object.keys(data).sort().map((k) => `${k}=${data[k]}`).join("\n");
  return createHash("sha256").update(sorted).digest("hex");
}

export function renderFlags(namespace: string, data: Record<string, string>): IConfigMap {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: FLAGS_CONFIGMAP, namespace, labels: labels("event-bus") }, data };
}
