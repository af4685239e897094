/**
 * The seeds' Grafana dashboard, "Event Bus - Multi-Stream Overview": eight panels built from the
 * seeds' monitoring queries, with their migration-safe forms (`by (stream)`, `by (subject)`), with
 * the Grafana Foundation SDK. It ships as a ConfigMap labelled for the Grafana sidecar, the way
 * Grafana loads dashboards on Kubernetes. Every selector names the stack's namespace: one
 * Prometheus may watch both environments, and staging's series must not show on production's board.
 */
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import type { StackConfig } from "../config/stack-config";
import { HRV_TOPIC, inNamespace, METRICS } from "./metrics";

export const DASHBOARD_TITLE = "Event Bus - Multi-Stream Overview";
export const DASHBOARD_UID = "event-bus-multi-stream";
/** The label the Grafana chart's dashboard sidecar watches by default. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

export interface PanelSpec {
  title: string;
  expr: string;
  legend?: string;
  unit: string;
  kind: "timeseries" | "stat";
  /** Which part of the seeds it shows. */
  seed: string;
}

export function dashboardPanels(c: StackConfig, namespace: string): PanelSpec[] {
  const hrv = METRICS.hrvMessages.name;
  const core = c.streams.core;
  const ns = inNamespace(namespace);
  return [
    { title: "HRV processed by stream", expr: `sum(rate(${hrv}{${ns}, result="success"}[5m])) by (stream)`, legend: "{{stream}}", unit: "ops", kind: "timeseries", seed: "Show both streams during migration" },
    { title: "HRV processed by subject", expr: `sum(rate(${hrv}{${ns}, result="success"}[5m])) by (subject)`, legend: "{{subject}}", unit: "ops", kind: "timeseries", seed: "Aggregate across streams" },
    { title: `HRV processed on ${core}`, expr: `sum(rate(${hrv}{${ns}, result="success", stream="${core}"}[5m]))`, unit: "ops", kind: "timeseries", seed: "Filter by specific stream" },
    {
      title: `Share of HRV processed on ${core}`,
      expr: `sum(rate(${hrv}{${ns}, result="success", stream="${core}"}[5m])) / sum(rate(${hrv}{${ns}, result="success"}[5m]))`,
      unit: "percentunit",
      kind: "stat",
      seed: `Soak criterion: 100% of messages processed on ${core}`,
    },
    { title: "HRV events published", expr: `sum(rate(${METRICS.published.name}{${ns}, topic="${HRV_TOPIC}",status="success"}[5m])) by (status)`, legend: "{{status}}", unit: "ops", kind: "timeseries", seed: "Success indicator: event_bus_events_published_total" },
    { title: "HRV dead letters per minute", expr: `sum(rate(${hrv}{${ns}, result="dlq"}[1m])) by (stream) * 60`, legend: "{{stream}}", unit: "short", kind: "timeseries", seed: "DLQ message rate (alert above 10 a minute)" },
    { title: "Messages stored per stream", expr: `max by (stream_name) (${METRICS.streamMessages.name}{${ns}})`, legend: "{{stream_name}}", unit: "short", kind: "timeseries", seed: `Legacy stream idle (${c.streams.legacy} should not increment)` },
    {
      title: "Pending per durable",
      expr: `max by (stream_name, consumer_name) (${METRICS.consumerPending.name}{${ns}} + ${METRICS.consumerAckPending.name}{${ns}})`,
      legend: "{{stream_name}}/{{consumer_name}}",
      unit: "short",
      kind: "timeseries",
      seed: "Consumers drained before each switch",
    },
  ];
}

export function buildDashboard(c: StackConfig, namespace: string): unknown {
  const builder = new DashboardBuilder(DASHBOARD_TITLE).uid(DASHBOARD_UID).tags(["event-bus", "nats", "jetstream"]).refresh("30s").time({ from: "now-6h", to: "now" });
  for (const p of dashboardPanels(c, namespace)) {
    const query = new DataqueryBuilder().expr(p.expr).refId("A");
    if (p.legend) query.legendFormat(p.legend);
    const panel = p.kind === "stat" ? new StatPanel().title(p.title).unit(p.unit).withTarget(query) : new TimeseriesPanel().title(p.title).unit(p.unit).withTarget(query);
    builder.withPanel(panel.description(`Seeds: ${p.seed}`).height(8).span(12));
  }
  return builder.build();
}

export function dashboardConfigMap(c: StackConfig, namespace: string): IConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "event-bus-dashboard", namespace, labels: { "app.kubernetes.io/part-of": "event-bus", ...GRAFANA_DASHBOARD_LABEL } },
    data: { "event-bus-multi-stream-overview.json": JSON.stringify(buildDashboard(c, namespace), null, 2) },
  };
}
