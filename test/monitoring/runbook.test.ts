/**
 * The alerts' runbook links resolve to headings of docs/RUNBOOK.md, and its table of metrics is
 * the catalogue the alerts and the dashboard read.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { anchorOf, RUNBOOK } from "../../components/monitoring/alert-rules";
import { METRICS } from "../../components/monitoring/metrics";
import { REPO_ROOT } from "../helpers/nats-servers";
import { render } from "../helpers/render";

const text = fs.readFileSync(path.join(REPO_ROOT, RUNBOOK), "utf8");
const anchors = new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));

describe("runbook - links and metrics", () => {
  it.each(["staging", "production"])("every runbook annotation of %s points at a heading that exists", (stack) => {
    for (const rule of render(stack).m.alerts!.spec.groups[0].rules) {
      const [file, anchor] = rule.annotations.runbook.split("#");
      expect({ alert: rule.alert, file }).toEqual({ alert: rule.alert, file: RUNBOOK });
      expect({ alert: rule.alert, anchor, exists: anchors.has(anchor) }).toEqual({ alert: rule.alert, anchor, exists: true });
    }
  });

  it("a link to a heading that does not exist is caught", () => {
    expect(anchors.has(anchorOf("HRVDLQMessagesDetected"))).toBe(true);
    expect(anchors.has("dead-letters")).toBe(false);
  });

  it("the runbook's metrics table lists exactly the catalogue, with its sources", () => {
    const rows = [...text.matchAll(/^\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => ({ name: m[1], labels: m[2].trim(), source: m[3].trim() }));
    expect(rows).toEqual(Object.values(METRICS).map((m) => ({ name: m.name, labels: m.labels.join(", "), source: m.source })));
  });
});
