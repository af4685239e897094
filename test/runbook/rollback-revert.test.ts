/**
 * The runbook's fast rollback reverts the step's merge commit. A pull request merged with a merge
 * commit has two parents, and `git revert` refuses one without `-m`: the command, as the runbook
 * writes it, run in a repository where a step was merged that way, puts the stack file back.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../helpers/nats-servers";

const runbookRevert = () => {
  const line = fs.readFileSync(path.join(REPO_ROOT, "docs", "RUNBOOK.md"), "utf8").split("\n").find((l) => l.includes("git revert"))!;
  return line.slice(line.indexOf("git revert"));
};

describe("runbook - the fast rollback's revert", () => {
  it("reverts a step merged with a merge commit, and puts the stack file back", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runbook-revert-"));
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } }).trim();
    try {
      git("init", "-q", "-b", "main");
      const file = path.join(dir, "Pulumi.staging.yaml");
      fs.writeFileSync(file, "config:\n  event-bus:migrationPhase: 1\n");
      git("add", "-A");
      git("commit", "-q", "-m", "phase 1");
      git("checkout", "-q", "-b", "phase-2");
      fs.writeFileSync(file, "config:\n  event-bus:migrationPhase: 2\n");
      git("commit", "-q", "-am", "phase 2");
      git("checkout", "-q", "main");
      git("merge", "-q", "--no-ff", "-m", "Merge pull request: phase 2", "phase-2");
      const merge = git("rev-parse", "HEAD");
      const command = runbookRevert().replace("<the step's merge commit>", merge);
      const r = spawnSync("bash", ["-c", command], { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } });
      expect({ command, status: r.status, stderr: r.stderr }).toEqual({ command, status: 0, stderr: "" });
      expect(fs.readFileSync(file, "utf8")).toBe("config:\n  event-bus:migrationPhase: 1\n");
      // Without -m, git refuses the merge commit: what the runbook said before.
      git("reset", "-q", "--hard", merge);
      expect(spawnSync("git", ["revert", "--no-edit", merge], { cwd: dir, encoding: "utf8" }).stderr).toMatch(/is a merge but no -m option was given/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
