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
const anchors = new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));

const GITHUB_RUNBOOK = `https://github.com/athlete-ally/event-bus/blob/main/${RUNBOOK}`;

describe("runbook - links and metrics", () => {
  it.each(["staging", "production"])("every runbook annotation of %s is the runbook's URL on GitHub and a heading that exists", (stack) => {
    for (const rule of render(stack).m.alerts!.spec.groups[0].rules) {
      const [base, anchor] = rule.annotations.runbook.split("#");
      expect({ alert: rule.alert, base }).toEqual({ alert: rule.alert, base: GITHUB_RUNBOOK });
      expect({ alert: rule.alert, anchor, exists: anchors.has(anchor) }).toEqual({ alert: rule.alert, anchor, exists: true });
    }
  });

  it("event-bus:kubernetes.runbookUrl moves every link, anchors kept", () => {
    const runbookUrl = "https://runbooks.athlete-ally.internal/event-bus/RUNBOOK.html";
    const rules = render("production", { kubernetes: { runbookUrl } }).m.alerts!.spec.groups[0].rules;
    expect(rules.map((r) => r.annotations.runbook)).toEqual(rules.map((r) => `${runbookUrl}#${anchorOf(r.alert)}`));
  });

  it.each(["docs/RUNBOOK.md", "ftp://example.com/RUNBOOK.md", "javascript:alert(1)", "https://example.com/RUNBOOK.md#top"])("a runbookUrl of %j is refused, naming the key", (runbookUrl) => {
    expect(() => render("staging", { kubernetes: { runbookUrl } })).toThrow(/event-bus:kubernetes\.runbookUrl: expected (an http\(s\) URL|a URL without a #fragment)/);
  });

  it("a link to a heading that does not exist is caught", () => {
    expect(anchors.has(anchorOf("HRVDLQMessagesDetected"))).toBe(true);
    expect(anchors.has("dead-letters")).toBe(false);
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
