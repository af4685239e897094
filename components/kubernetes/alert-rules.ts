/**
 * The seeds' alert rules as a PrometheusRule (monitoring section of the Phase B plan): dead
 * letters, consumer not found / processing stopped, fallback to the legacy stream, mixed
 * streams, crash loops and 5xx on ingest. Created only where the Prometheus operator runs.
 */
import type { StackConfig } from "../config/stack-config";
import type { Topology } from "../topology/topology";

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: "warning" | "critical" };
  annotations: { summary: string; runbook: string };
}

export interface PrometheusRuleManifest {
  apiVersion: "monitoring.coreos.com/v1";
  kind: "PrometheusRule";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { groups: Array<{ name: string; rules: AlertRule[] }> };
}

const RUNBOOK = "docs/RUNBOOK.md";

export function alertRules(c: StackConfig, t: Topology, namespace: string): PrometheusRuleManifest {
  const legacy = c.streams.legacy;
  const core = t.bindings.hrv;
  const rule = (alert: string, expr: string, forDuration: string, severity: "warning" | "critical", summary: string, section: string): AlertRule => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary, runbook: `${RUNBOOK}#${section}` },
  });
  const rules: AlertRule[] = [
    rule("HRVDLQMessagesDetected", `sum(rate(normalize_hrv_messages_total{result="dlq"}[5m])) > 0`, "5m", "warning", "HRV messages are going to the DLQ", "dead-letters"),
    rule("HRVDLQSpike", `sum(rate(normalize_hrv_messages_total{result="dlq"}[1m])) * 60 > 10`, "5m", "critical", "More than 10 dead letters a minute: roll back", "rollback"),
    rule(
      "HRVProcessingStopped",
      `sum(rate(event_bus_events_published_total{topic="hrv_raw_received",status="success"}[5m])) > 0 and sum(rate(normalize_hrv_messages_total{result="success"}[5m])) == 0`,
      "2m",
      "critical",
      "HRV events are published but none is processed (consumer not found, or normalize down)",
      "rollback",
    ),
    rule("NormalizeCrashLooping", `increase(kube_pod_container_status_restarts_total{namespace="${namespace}",container="normalize-service"}[10m]) > 3`, "0m", "critical", "normalize-service is crash looping", "rollback"),
    rule("IngestHrv5xx", `sum(rate(http_requests_total{namespace="${namespace}",route="/ingest/hrv",status=~"5.."}[5m])) > 0`, "5m", "critical", "5xx on /ingest/hrv", "rollback"),
  ];
  if (t.phase >= 2) {
    rules.push(
      rule("HRVFallbackToLegacy", `sum(rate(normalize_hrv_messages_total{stream="${legacy}"}[5m])) > 0`, "5m", "warning", `HRV messages are processed on ${legacy} after the cut-over to ${core}`, "soak-checks"),
      rule("HRVMixedStreams", `count(sum by (stream) (rate(normalize_hrv_messages_total{result="success"}[5m])) > 0) > 1`, "10m", "warning", "HRV messages are processed on more than one stream", "soak-checks"),
      rule("LegacyStreamReceiving", `sum(rate(nats_stream_total_messages{stream_name="${legacy}"}[5m])) > 0`, "5m", "warning", `${legacy} still receives messages after the cut-over`, "soak-checks"),
    );
  }
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "event-bus-alerts", namespace, labels: { "app.kubernetes.io/part-of": "event-bus" } },
    spec: { groups: [{ name: "event-bus", rules }] },
  };
}
