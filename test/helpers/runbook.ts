/** docs/RUNBOOK.md's commands, as the runbook tests read them. */
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./nats-servers";

export const RUNBOOK = fs.readFileSync(path.join(REPO_ROOT, "docs", "RUNBOOK.md"), "utf8");

/** Every command of the runbook's ```bash blocks, without its trailing comment, in order. */
export function runbookCommands(text: string = RUNBOOK): string[] {
  const out: string[] = [];
  for (const block of text.matchAll(/^\s*```bash\n([\s\S]*?)^\s*```/gm)) {
    for (const line of block[1].split("\n")) {
      const command = line.replace(/\s+#\s.*$/, "").trim();
      if (command && !command.startsWith("#")) out.push(command);
    }
  }
  return out;
}

/** The commands that need kubectl (test/runbook/runbook-kubectl.kube.test.ts runs them against a control plane). */
export const USES_KUBECTL = /^kubectl |\$\(kubectl /;
