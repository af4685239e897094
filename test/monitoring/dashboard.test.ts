/**
 * The seeds' dashboard as code: eight panels of the seeds' monitoring queries, every query parsed
 * by Prometheus' own PromQL grammar (@prometheus-io/lezer-promql), shipped as a ConfigMap for the
 * Grafana sidecar in both Kubernetes stacks.
 */
import { parser } from "@prometheus-io/lezer-promql";
import { DASHBOARD_TITLE } from "../../components/monitoring/dashboard";
import { METRICS, NAMESPACE_LABEL } from "../../components/monitoring/metrics";
import { render } from "../helpers/render";

/** The PromQL syntax errors in an expression, as the Prometheus UI's parser finds them. */
function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`error at ${node.from}: "${expr.slice(Math.max(0, node.from - 10), node.to + 10)}"`);
    },
  });
  return errors;
}

describe("dashboard - Event Bus - Multi-Stream Overview", () => {
  const { m } = render("production");
  const dashboard = JSON.parse(m.dashboard.data!["event-bus-multi-stream-overview.json"]) as { title: string; uid: string; panels: Array<{ title: string; type: string; targets: Array<{ expr: string }> }> };

  it("has the seeds' title and eight panels", () => {
    expect(dashboard.title).toBe(DASHBOARD_TITLE);
    expect(dashboard.panels.map((p) => p.title)).toEqual([
      "HRV processed by stream",
      "HRV processed by subject",
      "HRV processed on AA_CORE_HOT",
      "Share of HRV processed on AA_CORE_HOT",
      "HRV events published",
      "HRV dead letters per minute",
      "Messages stored per stream",
      "Pending per durable",
    ]);
  });

  it("uses the seeds' migration-safe queries, word for word, each kept to the stack's namespace", () => {
    const ns = 'namespace="production"';
    expect(dashboard.panels.map((p) => p.targets[0].expr)).toEqual([
      `sum(rate(normalize_hrv_messages_total{${ns}, result="success"}[5m])) by (stream)`,
      `sum(rate(normalize_hrv_messages_total{${ns}, result="success"}[5m])) by (subject)`,
      `sum(rate(normalize_hrv_messages_total{${ns}, result="success", stream="AA_CORE_HOT"}[5m]))`,
      `sum(rate(normalize_hrv_messages_total{${ns}, result="success", stream="AA_CORE_HOT"}[5m])) / sum(rate(normalize_hrv_messages_total{${ns}, result="success"}[5m]))`,
      `sum(rate(event_bus_events_published_total{${ns}, topic="hrv_raw_received",status="success"}[5m])) by (status)`,
      `sum(rate(normalize_hrv_messages_total{${ns}, result="dlq"}[1m])) by (stream) * 60`,
      `max by (stream_name) (jetstream_stream_total_messages{${ns}})`,
      `max by (stream_name, consumer_name) (jetstream_consumer_num_pending{${ns}} + jetstream_consumer_num_ack_pending{${ns}})`,
    ]);
  });

  it("every metric selector of every panel names the namespace (one Prometheus may watch both environments)", () => {
    const names = Object.values(METRICS).map((m) => m.name);
    for (const p of dashboard.panels) {
      const expr = p.targets[0].expr;
      for (const name of names.filter((n) => expr.includes(n))) {
        const selectors = [...expr.matchAll(new RegExp(`\\b${name}(\\{[^}]*\\})?`, "g"))].map((m) => m[1] ?? "");
        for (const sel of selectors) expect({ panel: p.title, name, sel }).toEqual({ panel: p.title, name, sel: expect.stringContaining(`${NAMESPACE_LABEL}="production"`) });
      }
    }
    // Staging's board reads staging's series.
    const staging = JSON.parse(render("staging").m.dashboard.data!["event-bus-multi-stream-overview.json"]) as typeof dashboard;
    expect(staging.panels.every((p) => p.targets[0].expr.includes('namespace="staging"') && !p.targets[0].expr.includes("production"))).toBe(true);
  });

  it("groups and filters only by labels its metrics carry", () => {
    const labelsOf = new Map<string, readonly string[]>(Object.values(METRICS).map((m) => [m.name, m.labels]));
    for (const p of dashboard.panels) {
      const expr = p.targets[0].expr;
      const metrics = [...labelsOf.keys()].filter((name) => new RegExp(`\\b${name}\\b`).test(expr));
      expect({ panel: p.title, metrics: metrics.length > 0 }).toEqual({ panel: p.title, metrics: true });
      const used = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1].split(",").map((l) => l.trim())).concat([...expr.matchAll(/(\w+)=/g)].map((m) => m[1]));
      // The namespace is the scrape target's (the operator's), on every series.
      for (const label of used.filter((l) => l !== NAMESPACE_LABEL)) expect({ panel: p.title, label, carried: metrics.every((name) => labelsOf.get(name)!.includes(label)) }).toEqual({ panel: p.title, label, carried: true });
    }
  });

  it("every query parses as PromQL", () => {
    for (const p of dashboard.panels) expect({ panel: p.title, errors: promqlErrors(p.targets[0].expr) }).toEqual({ panel: p.title, errors: [] });
  });

  it("the parser really judges: a broken query has errors", () => {
    expect(promqlErrors('sum(rate(normalize_hrv_messages_total{result="success"}[5m]) by (stream)')).not.toEqual([]);
    expect(promqlErrors("sum by (stream) (rate(x[5m]) +")).not.toEqual([]);
  });

  it.each(["staging", "production"])("%s ships it as a ConfigMap labelled for the Grafana sidecar", (stack) => {
    const cm = render(stack).m.dashboard;
    expect(cm.metadata).toMatchObject({ name: "event-bus-dashboard", namespace: stack, labels: { grafana_dashboard: "1" } });
    expect(JSON.parse(cm.data!["event-bus-multi-stream-overview.json"]).panels).toHaveLength(8);
  });
});
