/** The GitHub workflows lint clean with actionlint (pinned in versions.json, built by scripts/install-tools.sh). */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, TOOLS_BIN } from "../helpers/nats-servers";

const run = promisify(execFile);
const ACTIONLINT = path.join(TOOLS_BIN, "actionlint");
const lint = (files: string[]) =>
  run(ACTIONLINT, ["-no-color", ...files], { cwd: REPO_ROOT }).then(
    () => ({ ok: true, output: "" }),
    (e: { stdout: string }) => ({ ok: false, output: e.stdout }),
  );

describe("CI workflows", () => {
  const workflows = fs.readdirSync(path.join(REPO_ROOT, ".github", "workflows")).map((f) => path.join(".github", "workflows", f));

  it("pull-request and deploy workflows exist", () => {
    expect(workflows.map((f) => path.basename(f)).sort()).toEqual(["deploy.yml", "pull-request.yml"]);
  });

  it("lint clean with actionlint", async () => {
    expect(await lint(workflows)).toEqual({ ok: true, output: "" });
  });

  it("actionlint really checks: a broken workflow fails", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-wf-"));
    const file = path.join(dir, "broken.yml");
    fs.writeFileSync(file, "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.thing }}\n      - uses: actions/checkout@v4\n        with: { fetch-depth: one }\n");
    try {
      const r = await lint([file]);
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/nope/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
