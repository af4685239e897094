/**
 * How the workflows show the step plan the preview wrote: the PR comment (a placeholder made before
 * the preview, so that it sits above pulumi/actions' own, then filled in; found again by its
 * marker on the next push), the job summary and the annotation the approver of production reads
 * first. GitHub's REST API is stood in for by a local HTTP server that records what it is sent.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { commentMarker, planAnnotation, planMarkdown, upsertComment } from "../../scripts/lib/step-plan-report";
import { REPO_ROOT } from "../helpers/nats-servers";

const PLAN = "Step plan: phase 0 -> 1, mode multi (the bus: live; the services: compared with the last up)\nSubjects that move:\n  subject vendor.oura.>: ATHLETE_ALLY_EVENTS -> AA_VENDOR_HOT (as vendor.>)\n";

describe("step plan report", () => {
  it("Markdown: the marker, the heading and the plan as printed; or why there is none", () => {
    expect(planMarkdown("staging", PLAN)).toBe(`${commentMarker("staging")}\n### Step plan: staging\n\n\`\`\`text\n${PLAN.trimEnd()}\n\`\`\`\n`);
    expect(planMarkdown("staging", undefined)).toContain("**No plan:** the preview printed none");
    expect(planMarkdown("staging", PLAN, true)).toContain("its plan comes here");
  });

  it("the annotation keeps the plan's lines (GitHub's escapes)", () => {
    expect(planAnnotation("production", "a\nb 100%")).toBe("::notice title=Step plan (production)::a%0Ab 100%25");
  });

  it("the comment is made once, then edited in place on the next push; another stack's is left alone", async () => {
    const comments: Array<{ id: number; body: string }> = [{ id: 1, body: `${commentMarker("production")}\nproduction's` }];
    const calls: string[] = [];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        calls.push(`${req.method} ${req.url} ${req.headers.authorization}`);
        if (req.method === "GET") {
          res.end(JSON.stringify(comments));
          return;
        }
        const sent = JSON.parse(body) as { body: string };
        if (req.method === "POST") comments.push({ id: comments.length + 1, body: sent.body });
        else comments.find((c) => req.url!.endsWith(`/comments/${c.id}`))!.body = sent.body;
        res.end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const target = { api: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, repository: "athlete-ally/event-bus", issue: 7, token: "t0ken" };
      expect(await upsertComment(target, "staging", planMarkdown("staging", PLAN, true))).toBe("created");
      expect(await upsertComment(target, "staging", planMarkdown("staging", PLAN))).toBe("updated");
      expect(calls).toEqual([
        "GET /repos/athlete-ally/event-bus/issues/7/comments?per_page=100&page=1 Bearer t0ken",
        "POST /repos/athlete-ally/event-bus/issues/7/comments Bearer t0ken",
        "GET /repos/athlete-ally/event-bus/issues/7/comments?per_page=100&page=1 Bearer t0ken",
        "PATCH /repos/athlete-ally/event-bus/issues/comments/2 Bearer t0ken",
      ]);
      expect(comments.map((c) => c.body)).toEqual([`${commentMarker("production")}\nproduction's`, planMarkdown("staging", PLAN)]);
    } finally {
      server.close();
    }
  });

  it("`npm run step-plan-report -- summary production` appends the plan to the job summary and prints its annotation", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "step-plan-report-"));
    try {
      const [planFile, summary] = [path.join(dir, "step-plan.txt"), path.join(dir, "summary.md")];
      fs.writeFileSync(planFile, PLAN);
      const r = spawnSync("npm", ["run", "-s", "step-plan-report", "--", "summary", "production"], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, EVENT_BUS_STEP_PLAN_FILE: planFile, GITHUB_STEP_SUMMARY: summary } });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
      expect(r.stdout.trim()).toBe(planAnnotation("production", PLAN));
      expect(fs.readFileSync(summary, "utf8")).toBe(planMarkdown("production", PLAN));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
