/**
 * Every metric the alerts and the dashboard read, with where it comes from: the seeds' services
 * (prom-client, with the `stream` and `durable` labels the seeds add) or the NATS exporter this
 * stack deploys beside each NATS server. Nothing else is queried; docs/RUNBOOK.md lists the same
 * table and a test keeps the two in step.
 */
export interface MetricSource {
  name: string;
  type: "counter" | "gauge";
  labels: string[];
  source: string;
}

/** The prometheus-nats-exporter sidecar: JetStream stream and consumer state from each server's /jsz. */
export const NATS_EXPORTER = { name: "nats-exporter", port: 7777, portName: "prom-metrics", args: ["-jsz=all", "-port=7777"] } as const;

const NORMALIZE = "normalize-service (prom-client; the seeds' Phase B metrics)";
const INGEST = "ingest-service (prom-client; the seeds' success indicators)";
const PROM_CLIENT_DEFAULT = "normalize-service and ingest-service (prom-client default metrics)";
const EXPORTER = "prometheus-nats-exporter sidecar of each NATS server (deployed by this stack, -jsz=all)";

export const METRICS = {
  hrvMessages: { name: "normalize_hrv_messages_total", type: "counter", labels: ["result", "subject", "stream", "durable"], source: NORMALIZE },
  published: { name: "event_bus_events_published_total", type: "counter", labels: ["topic", "status"], source: INGEST },
  processStart: { name: "process_start_time_seconds", type: "gauge", labels: ["namespace", "pod", "container"], source: PROM_CLIENT_DEFAULT },
  streamLastSeq: { name: "jetstream_stream_last_seq", type: "gauge", labels: ["stream_name", "server_name"], source: EXPORTER },
  streamMessages: { name: "jetstream_stream_total_messages", type: "gauge", labels: ["stream_name", "server_name"], source: EXPORTER },
  consumerPending: { name: "jetstream_consumer_num_pending", type: "gauge", labels: ["stream_name", "consumer_name", "server_name"], source: EXPORTER },
  consumerAckPending: { name: "jetstream_consumer_num_ack_pending", type: "gauge", labels: ["stream_name", "consumer_name", "server_name"], source: EXPORTER },
} as const satisfies Record<string, MetricSource>;

/**
 * The label the Prometheus operator puts on every series a PodMonitor scrapes: the target's
 * namespace. One Prometheus may watch both environments, so every query of a stack names its own.
 */
export const NAMESPACE_LABEL = "namespace";

/** The matcher that keeps a query to one stack's namespace. */
export const inNamespace = (namespace: string): string => `${NAMESPACE_LABEL}="${namespace}"`;

/** The topic label ingest-service gives HRV publishes. */
export const HRV_TOPIC = "hrv_raw_received";
