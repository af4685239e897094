/**
 * `npm run step-plan-report -- comment|placeholder|summary <stack>`: shows the step plan that the
 * preview wrote to $EVENT_BUS_STEP_PLAN_FILE.
 * - placeholder (before the preview): makes the pull request's plan comment, so that it sits above
 *   the comment pulumi/actions makes;
 * - comment (after it): fills that comment in;
 * - summary: appends the plan to the job summary, and prints it as an annotation (shown above every
 *   job summary: what the approver of production reads first).
 * GitHub's address, repository and token come from the runner's environment (GITHUB_API_URL,
 * GITHUB_REPOSITORY, GITHUB_TOKEN); the pull request's number from PR_NUMBER.
 */
import * as fs from "node:fs";
import { STEP_PLAN_FILE_ENV } from "../components/plan/explain";
import { planAnnotation, planMarkdown, upsertComment } from "./lib/step-plan-report";

async function main() {
  const [mode, stack] = process.argv.slice(2);
  if (!["comment", "placeholder", "summary"].includes(mode) || !stack) {
    console.error("usage: npm run step-plan-report -- <comment|placeholder|summary> <stack>");
    process.exit(2);
  }
  const file = process.env[STEP_PLAN_FILE_ENV];
  const plan = file && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  if (mode === "summary") {
    const summary = process.env.GITHUB_STEP_SUMMARY;
    if (!summary) throw new Error("GITHUB_STEP_SUMMARY is not set: expected to run in a GitHub Actions step");
    fs.appendFileSync(summary, planMarkdown(stack, plan));
    console.log(planAnnotation(stack, plan));
    return;
  }
  const need = (k: string) => process.env[k] || (() => { throw new Error(`${k} is not set: expected to run in a pull request's GitHub Actions step`); })();
  const target = { api: process.env.GITHUB_API_URL ?? "https://api.github.com", repository: need("GITHUB_REPOSITORY"), issue: Number(need("PR_NUMBER")), token: need("GITHUB_TOKEN") };
  console.log(`${await upsertComment(target, stack, planMarkdown(stack, plan, mode === "placeholder"))} the step plan comment of ${stack} on #${target.issue}`);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
