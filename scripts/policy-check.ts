/**
 * The policy check CI runs without a Pulumi backend or cloud credentials:
 *
 *   npm run policy -- --stack production [--set key=value ...] [--config policy-config.json]
 *
 * Runs the program for the stack under mocks, hands every resource to the policy pack's own
 * analyzer server, prints the violations, and exits 1 on a mandatory one.
 */
import * as fs from "node:fs";
import { captureStack } from "./lib/capture-stack";
import { analyzeStack } from "./lib/policy-runner";
import { stackFileConfig } from "./stack-file";

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const stack = args[args.indexOf("--stack") + 1];
  if (!args.includes("--stack") || !stack) {
    console.error("usage: npm run policy -- --stack <local|staging|production> [--set key=json ...] [--config file.json]");
    return 2;
  }
  const raw = stackFileConfig(stack);
  args.forEach((a, i) => {
    if (a !== "--set") return;
    const [key, ...value] = args[i + 1].split("=");
    const text = value.join("=");
    try {
      raw[key] = JSON.parse(text);
    } catch {
      raw[key] = text;
    }
  });
  const configFile = args.includes("--config") ? args[args.indexOf("--config") + 1] : undefined;
  const policyConfig = configFile ? JSON.parse(fs.readFileSync(configFile, "utf8")) : {};
  const resources = await captureStack(stack, raw);
  const diagnostics = await analyzeStack(resources, policyConfig);
  console.log(`policy pack event-bus on stack ${stack}: ${resources.length} resources`);
  for (const d of diagnostics) console.log(`  [${d.level}] ${d.policy}: ${d.message}`);
  const mandatory = diagnostics.filter((d) => d.level === "mandatory").length;
  console.log(mandatory ? `${mandatory} mandatory violation(s): blocked` : "no mandatory violation");
  return mandatory ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).message);
    process.exit(2);
  },
);
