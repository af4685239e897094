import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "./nats-servers";

export const STACKS = ["local", "staging", "production"] as const;

/** A stack's `event-bus:` configuration from its Pulumi.<stack>.yaml, keys without the namespace. */
export function stackConfigFile(stack: string): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config ?? {}).map(([k, v]) => [k.replace(/^event-bus:/, ""), v]));
}
