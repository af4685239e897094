/**
 * The seeds' alert rules (Phase B plan, "Monitoring and Alerts"), as a PrometheusRule: the red
 * indicators (dead-letter spike, database writes stopped, 5xx on ingest, crash loops) and the
 * yellow ones (fallback to the legacy stream for 5 minutes, mixed streams for 10), the primary
 * "DLQ > 0 for 5 minutes" rule, and the Phase 3 watch on the legacy stream. Every metric is one
 * of components/monitoring/metrics.ts; every runbook link is a heading of docs/RUNBOOK.md.
 *
 * One Prometheus may watch both environments, so every selector names the stack's namespace (the
 * `namespace` target label the Prometheus operator puts on everything a PodMonitor scrapes): staging
 * traffic never fires production's alerts. The runbook links are absolute URLs, for the people who
 * read them in Alertmanager, Slack or a pager, far from a checkout.
 */
import type { StackConfig } from "../config/stack-config";
import type { Topology } from "../topology/topology";
import { HRV_TOPIC, inNamespace, METRICS } from "./metrics";

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: "warning" | "critical" };
  annotations: { summary: string; runbook_url: string };
}

export interface PrometheusRuleManifest {
  apiVersion: "monitoring.coreos.com/v1";
  kind: "PrometheusRule";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { groups: Array<{ name: string; rules: AlertRule[] }> };
}

/** The runbook, in the repository; `event-bus:kubernetes.runbookUrl` is where it is read. */
export const RUNBOOK = "docs/RUNBOOK.md";

/** What one stack's rules depend on besides its topology. */
export interface AlertRuleOptions {
  /** The stack's namespace: where the rules live and the only one their selectors read. */
  namespace: string;
  /** The normalize canary's share: a partial canary mixes streams on purpose. */
  canaryPercent?: number;
  /** docs/RUNBOOK.md's absolute URL, without a fragment; each alert adds its heading's anchor. */
  runbookUrl: string;
  /** Labels for the Prometheus operator's rule selector (event-bus:kubernetes.prometheusLabels). */
  labels?: Record<string, string>;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
export const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, "")
    .replace(/ /g, "-");

const hrv = METRICS.hrvMessages.name;
const published = METRICS.published.name;

/** The rules for one stack: which apply depends on the phase (cut-over done?) and the canary. */
export function alertRuleList(c: StackConfig, t: Topology, o: AlertRuleOptions): AlertRule[] {
  const legacy = c.streams.legacy;
  const ns = inNamespace(o.namespace);
  const rule = (alert: string, expr: string, forDuration: string, severity: "warning" | "critical", summary: string): AlertRule => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary, runbook_url: `${o.runbookUrl}#${anchorOf(alert)}` },
  });
  const services = "normalize-service|ingest-service";
  const rules: AlertRule[] = [
    rule("HRVDLQMessagesDetected", `sum(rate(${hrv}{${ns},result="dlq"}[5m])) > 0`, "5m", "warning", "HRV messages are going to the DLQ"),
    rule("HRVDLQSpike", `sum(rate(${hrv}{${ns},result="dlq"}[1m])) * 60 > 10`, "5m", "critical", "More than 10 HRV dead letters a minute, sustained: roll back"),
    rule(
      "HRVDatabaseWritesStopped",
      `(sum(rate(${published}{${ns},topic="${HRV_TOPIC}",status="success"}[2m])) > 0) unless (sum(rate(${hrv}{${ns},result="success"}[2m])) > 0)`,
      "2m",
      "critical",
      "HRV events are published but normalize-service writes none (consumer not found on any stream, or normalize down): roll back",
    ),
    rule("IngestHRVFailing", `sum(rate(${published}{${ns},topic="${HRV_TOPIC}",status!="success"}[2m])) > 0`, "2m", "critical", "ingest-service fails to publish HRV events (/ingest/hrv answers 5xx): roll back"),
    rule(
      "ServiceCrashLooping",
      `changes(${METRICS.processStart.name}{${ns},container=~"${services}"}[10m]) >= 2`,
      "0m",
      "critical",
      "A normalize-service or ingest-service container restarted twice within 10 minutes (CrashLoopBackOff): roll back",
    ),
  ];
  if (t.bindings.hrv !== legacy) {
    rules.push(
      rule("HRVFallbackToLegacy", `sum(rate(${hrv}{${ns},stream="${legacy}"}[5m])) > 0`, "5m", "warning", `normalize-service still processes HRV messages on ${legacy} after the cut-over to ${t.bindings.hrv}`),
      rule(
        "LegacyStreamReceiving",
        `max(delta(${METRICS.streamLastSeq.name}{${ns},stream_name="${legacy}"}[5m])) > 0`,
        "0m",
        "warning",
        `${legacy} stores new messages after the cut-over: something still publishes to it`,
      ),
    );
  }
  // A partial canary mixes streams on purpose; outside it, mixed streams mean unstable pods.
  const canaryPercent = o.canaryPercent ?? 0;
  if (canaryPercent === 0 || canaryPercent === 100) {
    rules.push(
      rule("HRVMixedStreams", `count(sum by (stream) (rate(${hrv}{${ns},result="success"}[5m])) > 0) > 1`, "10m", "warning", "HRV messages are processed on more than one stream: check for restarts and the ConfigMap"),
    );
  }
  return rules;
}

export function alertRules(c: StackConfig, t: Topology, o: AlertRuleOptions): PrometheusRuleManifest {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: "event-bus-alerts", namespace: o.namespace, labels: { "app.kubernetes.io/part-of": "event-bus", ...o.labels } },
    spec: { groups: [{ name: "event-bus", rules: alertRuleList(c, t, o) }] },
  };
}
