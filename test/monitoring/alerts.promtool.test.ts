/**
 * The alert rules judged by Prometheus' own tool: `promtool check rules` on the rendered rules of
 * staging and production, and `promtool test rules` with synthetic series, in which every alert
 * fires at the seeds' threshold and duration, stays quiet just below it, and stays quiet when the
 * same series come from another namespace (one Prometheus watches both environments).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import type { AlertRule } from "../../components/monitoring/alert-rules";
import { METRICS } from "../../components/monitoring/metrics";
import { TOOLS_BIN } from "../helpers/nats-servers";
import { render } from "../helpers/render";

const PROMTOOL = path.join(TOOLS_BIN, "promtool");

function promtool(args: string[], files: Record<string, unknown>): { status: number; out: string } {
  if (!fs.existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: run bash scripts/install-tools.sh`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-promtool-"));
  try {
    for (const [name, doc] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), typeof doc === "string" ? doc : stringify(doc));
    const r = spawnSync(PROMTOOL, args, { cwd: dir, encoding: "utf8" });
    return { status: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const rulesOf = (stack: string) => render(stack).m.alerts!.spec.groups;

describe("alerts - promtool check rules", () => {
  it.each(["staging", "production"])("the rendered rules of %s pass", (stack) => {
    const groups = rulesOf(stack);
    const r = promtool(["check", "rules", "rules.yml"], { "rules.yml": { groups } });
    expect(r.out).toContain(`SUCCESS: ${groups[0].rules.length} rules found`);
    expect(r.status).toBe(0);
  });

  it("a broken expression fails", () => {
    const groups = rulesOf("staging");
    groups[0].rules[0] = { ...groups[0].rules[0], expr: 'sum(rate(normalize_hrv_messages_total{result="dlq"}[5m]) > 0' };
    const r = promtool(["check", "rules", "rules.yml"], { "rules.yml": { groups } });
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/HRVDLQMessagesDetected|parse error|unclosed/i);
  });
});

/** One synthetic scenario: series, and when the alert must (not) be firing. */
interface Scenario {
  name: string;
  interval?: string;
  series: Array<{ series: string; values: string }>;
  quietAt: string[];
  firingAt?: string;
  firingLabels?: Record<string, string>;
}

/** The rules are staging's; every synthetic series carries the namespace label the operator adds to what a PodMonitor scrapes. */
const NS = "staging";
const OTHER_NS = "production";
const hrv = (labels: string, values: string) => ({ series: `normalize_hrv_messages_total{namespace="${NS}",${labels},subject="athlete-ally.hrv.raw-received",durable="normalize-hrv-durable"}`, values });
const published = (status: string, values: string) => ({ series: `event_bus_events_published_total{namespace="${NS}",topic="hrv_raw_received",status="${status}"}`, values });
const lastSeq = (values: string) => ({ series: `jetstream_stream_last_seq{namespace="${NS}",stream_name="ATHLETE_ALLY_EVENTS",server_name="nats-0"}`, values });
/** A scenario's series as another namespace's Prometheus targets would report them. */
const inOtherNamespace = (s: Scenario): Scenario => ({
  ...s,
  name: `${s.name}, in namespace ${OTHER_NS}`,
  series: s.series.map((x) => ({ ...x, series: x.series.replace(`namespace="${NS}"`, `namespace="${OTHER_NS}"`) })),
  quietAt: [...s.quietAt, s.firingAt!],
  firingAt: undefined,
});

/** For each alert: a scenario at its threshold (fires, once its `for` has passed, quiet before) and one just below it. */
const SCENARIOS: Record<string, Scenario[]> = {
  HRVDLQMessagesDetected: [
    // Dead letters from minute 11 on: pending for 4 minutes at 15m, firing after 5.
    { name: "dead letters for 5 minutes", series: [hrv('result="dlq",stream="AA_CORE_HOT"', "0x10 1+1x20")], quietAt: ["10m", "15m"], firingAt: "16m" },
    { name: "no dead letters", series: [hrv('result="dlq",stream="AA_CORE_HOT"', "0x30"), hrv('result="success",stream="AA_CORE_HOT"', "0+10x30")], quietAt: ["10m", "30m"] },
  ],
  HRVDLQSpike: [
    // 11.2 dead letters a minute (2.8 every 15 s), sustained: firing after 5 minutes.
    { name: "11.2 a minute", interval: "15s", series: [hrv('result="dlq",stream="AA_CORE_HOT"', "0+2.8x60")], quietAt: ["5m"], firingAt: "7m" },
    // 9.6 a minute: just below the seeds' 10.
    { name: "9.6 a minute", interval: "15s", series: [hrv('result="dlq",stream="AA_CORE_HOT"', "0+2.4x60")], quietAt: ["7m", "14m"] },
  ],
  HRVDatabaseWritesStopped: [
    // Events keep coming; the last write is at minute 10, so from 11m the 2-minute window holds
    // none: pending at 12m, firing 2 minutes on, at 13m.
    { name: "writes stop", series: [published("success", "0+10x30"), hrv('result="success",stream="AA_CORE_HOT"', "0+10x10 100x20")], quietAt: ["10m", "12m"], firingAt: "13m" },
    { name: "writes keep up", series: [published("success", "0+10x30"), hrv('result="success",stream="AA_CORE_HOT"', "0+10x30")], quietAt: ["15m", "30m"] },
  ],
  IngestHRVFailing: [
    { name: "failed publishes", series: [published("success", "0+10x30"), published("error", "0x5 1+1x20")], quietAt: ["5m", "7m"], firingAt: "9m" },
    { name: "no failed publish", series: [published("success", "0+10x30"), published("error", "0x30")], quietAt: ["9m", "30m"] },
  ],
  ServiceCrashLooping: [
    {
      name: "two restarts within 10 minutes",
      // Restarts at 4m and at 8m.
      series: [{ series: `process_start_time_seconds{namespace="${NS}",pod="normalize-service-abc",container="normalize-service"}`, values: "100x3 400x3 700x10" }],
      quietAt: ["3m", "7m"],
      firingAt: "8m",
      firingLabels: { namespace: NS, pod: "normalize-service-abc", container: "normalize-service" },
    },
    { name: "one restart", series: [{ series: `process_start_time_seconds{namespace="${NS}",pod="normalize-service-abc",container="normalize-service"}`, values: "100x3 400x20" }], quietAt: ["6m", "12m"] },
  ],
  HRVFallbackToLegacy: [
    { name: "processing on the legacy stream for 5 minutes", series: [hrv('result="success",stream="ATHLETE_ALLY_EVENTS"', "0x10 1+1x20")], quietAt: ["15m"], firingAt: "16m" },
    { name: "processing on the hot stream only", series: [hrv('result="success",stream="AA_CORE_HOT"', "0+10x30"), hrv('result="success",stream="ATHLETE_ALLY_EVENTS"', "50x30")], quietAt: ["16m", "30m"] },
  ],
  LegacyStreamReceiving: [
    { name: "a new message on the legacy stream", series: [lastSeq("500x10 501x10")], quietAt: ["9m"], firingAt: "11m" },
    // Old messages ageing out lower the stored count; the last sequence stays: no alert.
    {
      name: "old messages ageing out",
      series: [
        lastSeq("500x20"),
        { series: `jetstream_stream_total_messages{namespace="${NS}",stream_name="ATHLETE_ALLY_EVENTS",server_name="nats-0"}`, values: "100-5x20" },
      ],
      quietAt: ["11m", "20m"],
    },
  ],
  HRVMixedStreams: [
    { name: "two streams for 10 minutes", series: [hrv('result="success",stream="AA_CORE_HOT"', "0+10x30"), hrv('result="success",stream="ATHLETE_ALLY_EVENTS"', "0+1x30")], quietAt: ["10m"], firingAt: "12m" },
    { name: "one stream", series: [hrv('result="success",stream="AA_CORE_HOT"', "0+10x30"), hrv('result="success",stream="ATHLETE_ALLY_EVENTS"', "7x30")], quietAt: ["12m", "30m"] },
  ],
};

describe("alerts - one Prometheus, two environments", () => {
  it.each(["staging", "production"])("every selector of %s's rules names its namespace", (stack) => {
    const names = Object.values(METRICS).map((m) => m.name).join("|");
    for (const rule of rulesOf(stack)[0].rules) {
      const selectors = [...rule.expr.matchAll(new RegExp(`\\b(${names})\\b(\\{[^}]*\\})?`, "g"))].map((m) => m[2] ?? "");
      expect(selectors.length).toBeGreaterThan(0);
      for (const sel of selectors) expect({ alert: rule.alert, sel, ns: sel.includes(`namespace="${stack}"`) }).toEqual({ alert: rule.alert, sel, ns: true });
    }
  });
});

describe("alerts - promtool test rules", () => {
  const groups = rulesOf("staging");
  const rules = new Map<string, AlertRule>(groups[0].rules.map((r) => [r.alert, r]));

  it("every rule of the stacks has scenarios, each firing once and quiet once", () => {
    expect([...rules.keys()].sort()).toEqual(Object.keys(SCENARIOS).sort());
    for (const scenarios of Object.values(SCENARIOS)) {
      expect(scenarios.filter((s) => s.firingAt).length).toBeGreaterThanOrEqual(1);
      expect(scenarios.filter((s) => !s.firingAt).length).toBeGreaterThanOrEqual(1);
    }
  });

  /** Runs scenarios of one alert through `promtool test rules`. */
  const judge = (alert: string, scenarios: Scenario[]) => {
    const rule = rules.get(alert)!;
    const tests = scenarios.map((s) => ({
      name: `${alert}: ${s.name}`,
      interval: s.interval ?? "1m",
      input_series: s.series,
      alert_rule_test: [
        ...s.quietAt.map((at) => ({ eval_time: at, alertname: alert, exp_alerts: [] })),
        ...(s.firingAt
          ? [{ eval_time: s.firingAt, alertname: alert, exp_alerts: [{ exp_labels: { severity: rule.labels.severity, ...(s.firingLabels ?? {}) }, exp_annotations: rule.annotations }] }]
          : []),
      ],
    }));
    return promtool(["test", "rules", "tests.yml"], {
      "rules.yml": { groups: [{ name: "event-bus", rules: [rule] }] },
      "tests.yml": { rule_files: ["rules.yml"], evaluation_interval: "1m", tests },
    });
  };

  it.each(Object.keys(SCENARIOS))("%s fires at the seeds' threshold and duration, and stays quiet below", (alert) => {
    const r = judge(alert, SCENARIOS[alert]);
    expect(r.out).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  it.each(Object.keys(SCENARIOS))("%s stays quiet when the series that fire it come from another namespace", (alert) => {
    const firing = SCENARIOS[alert].filter((s) => s.firingAt);
    for (const s of firing) for (const x of s.series) expect(x.series).toContain(`namespace="${NS}"`);
    const r = judge(alert, firing.map(inOtherNamespace));
    expect(r.out).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  it("a scenario that expects the wrong outcome fails (the tool really judges)", () => {
    const rule = rules.get("HRVDLQMessagesDetected")!;
    const r = promtool(["test", "rules", "tests.yml"], {
      "rules.yml": { groups: [{ name: "event-bus", rules: [rule] }] },
      "tests.yml": {
        rule_files: ["rules.yml"],
        evaluation_interval: "1m",
        tests: [{ interval: "1m", input_series: [hrv('result="dlq",stream="AA_CORE_HOT"', "0x10 1+1x20")], alert_rule_test: [{ eval_time: "15m", alertname: "HRVDLQMessagesDetected", exp_alerts: [{ exp_labels: { severity: "warning" } }] }] }],
      },
    });
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/FAILED/);
  });
});
