/**
 * The alerts' runbook links are absolute URLs (`event-bus:kubernetes.runbookUrl`, by default the
 * runbook on GitHub) that resolve to headings of docs/RUNBOOK.md, and its table of metrics is the
 * catalogue the alerts and the dashboard read.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { anchorOf, RUNBOOK } from "../../components/monitoring/alert-rules";
import { METRICS } from "../../components/monitoring/metrics";
import { REPO_ROOT } from "../helpers/nats-servers";
import { render } from "../helpers/render";

const text = fs.readFileSync(path.join(REPO_ROOT, RUNBOOK), "utf8");
const headings = new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]));

/**
 * Each alert's section of the runbook (a heading that is the alert's name) and the anchor GitHub
 * renders for it, written out: lower case, punctuation dropped, spaces to dashes.
 */
const ALERT_ANCHORS: Record<string, string> = {
  HRVDLQMessagesDetected: "hrvdlqmessagesdetected",
  HRVDLQSpike: "hrvdlqspike",
  HRVDatabaseWritesStopped: "hrvdatabasewritesstopped",
  IngestHRVFailing: "ingesthrvfailing",
  ServiceCrashLooping: "servicecrashlooping",
  HRVFallbackToLegacy: "hrvfallbacktolegacy",
  HRVMixedStreams: "hrvmixedstreams",
  LegacyStreamReceiving: "legacystreamreceiving",
};

const GITHUB_RUNBOOK = `https://github.com/athlete-ally/event-bus/blob/main/${RUNBOOK}`;

describe("runbook - links and metrics", () => {
  it.each(["staging", "production"])("every runbook_url annotation of %s (the name Alertmanager, Grafana and kube-prometheus read) is the runbook's URL on GitHub and a heading that exists", (stack) => {
    for (const rule of render(stack).m.alerts!.spec.groups[0].rules) {
      const [base, anchor] = rule.annotations.runbook_url.split("#");
      expect({ alert: rule.alert, base }).toEqual({ alert: rule.alert, base: GITHUB_RUNBOOK });
      expect({ alert: rule.alert, anchor, section: headings.has(rule.alert) }).toEqual({ alert: rule.alert, anchor: ALERT_ANCHORS[rule.alert], section: true });
    }
  });

  it("event-bus:kubernetes.runbookUrl moves every link, anchors kept", () => {
    const runbookUrl = "https://runbooks.athlete-ally.internal/event-bus/RUNBOOK.html";
    const rules = render("production", { kubernetes: { runbookUrl } }).m.alerts!.spec.groups[0].rules;
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.map((r) => r.annotations.runbook_url)).toEqual(rules.map((r) => `${runbookUrl}#${ALERT_ANCHORS[r.alert]}`));
  });

  it.each(["docs/RUNBOOK.md", "ftp://example.com/RUNBOOK.md", "javascript:alert(1)", "https://example.com/RUNBOOK.md#top"])("a runbookUrl of %j is refused, naming the key", (runbookUrl) => {
    expect(() => render("staging", { kubernetes: { runbookUrl } })).toThrow(/event-bus:kubernetes\.runbookUrl: expected (an http\(s\) URL|a URL without a #fragment)/);
  });

  // Headings of the runbook with what GitHub drops (the runbook itself links #4-rollback-under-five-minutes).
  it.each([
    ["HRVDLQMessagesDetected", "hrvdlqmessagesdetected"],
    ["4. Rollback (under five minutes)", "4-rollback-under-five-minutes"],
    ["Adopting the live bus (the first `pulumi up` in production)", "adopting-the-live-bus-the-first-pulumi-up-in-production"],
    ["Pulumi state: history, backups, a stuck update", "pulumi-state-history-backups-a-stuck-update"],
    ["What the stack refuses, and what to do", "what-the-stack-refuses-and-what-to-do"],
    ["Runbook: the event bus, and its three-stream migration", "runbook-the-event-bus-and-its-three-stream-migration"],
  ])("anchorOf(%j) is GitHub's anchor %j", (heading, anchor) => {
    expect(headings.has(heading)).toBe(true);
    expect(anchorOf(heading)).toBe(anchor);
  });

  it("every kubectl command names its namespace, every pulumi command in a code block its stack (one Prometheus and one cluster hold both)", () => {
    const blocks = [...text.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].flatMap((m) => m[1].split("\n"));
    const spans = [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
    const kubectl = [...blocks, ...spans].filter((l) => /\bkubectl\s+\S/.test(l));
    expect(kubectl.length).toBeGreaterThan(10);
    for (const line of kubectl) expect({ line, namespace: /\bkubectl -n \S+ /.test(line) }).toEqual({ line, namespace: true });
    const pulumi = blocks.filter((l) => /\bpulumi (up|preview|refresh|cancel|stack (export|import|history|output)|config (set|rm))\b/.test(l));
    expect(pulumi.length).toBeGreaterThan(10);
    for (const line of pulumi) expect({ line, stack: /--stack \S+/.test(line) }).toEqual({ line, stack: true });
  });

  it("the runbook's metrics table lists exactly the catalogue, with its sources", () => {
    const rows = [...text.matchAll(/^\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => ({ name: m[1], labels: m[2].trim(), source: m[3].trim() }));
    expect(rows).toEqual(Object.values(METRICS).map((m) => ({ name: m.name, labels: m.labels.join(", "), source: m.source })));
  });
});
