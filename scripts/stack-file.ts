import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..");

/** A stack's `event-bus:` configuration from Pulumi.<stack>.yaml in `dir` (default: this repository), keys without the namespace. */
export function stackFileConfig(stack: string, dir = ROOT): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace(/^event-bus:/, ""), v]));
}
