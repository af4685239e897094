/**
 * Writes a stack's Kubernetes manifests as YAML files for review, without Pulumi or a cluster:
 *
 *   npm run render -- --stack production --out out/production
 *
 * One file per object, in apply order. Passwords are not rendered: the Deployments and the NATS
 * StatefulSet refer to the Secrets event-bus-nats-<user>, which `pulumi up` creates.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { parseStackConfig } from "../components/config/stack-config";
import { kubernetesConfigOf } from "../components/kubernetes/kubernetes-config";
import { allManifests, renderKubernetes } from "../components/kubernetes/manifests";
import { computeTopology } from "../components/topology/topology";
import { stackFileConfig } from "./stack-file";

export function renderStack(stack: string, out: string): string[] {
  const config = parseStackConfig(stackFileConfig(stack));
  const k = kubernetesConfigOf(config);
  if (!k) throw new Error(`stack ${stack} has no event-bus:kubernetes settings; nothing to render`);
  fs.mkdirSync(out, { recursive: true });
  return allManifests(renderKubernetes(config, computeTopology(config), k)).map((o, i) => {
    const file = path.join(out, `${String(i + 1).padStart(2, "0")}-${o.kind!.toLowerCase()}-${o.metadata!.name}.yaml`);
    fs.writeFileSync(file, stringify(o));
    return file;
  });
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (name: string, fallback?: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const stack = opt("stack");
  if (!stack) {
    console.error("usage: npm run render -- --stack <staging|production> [--out <folder>]");
    process.exit(2);
  }
  const files = renderStack(stack, path.resolve(opt("out", path.join(__dirname, "..", "out", stack))!));
  console.log(files.map((f) => path.relative(process.cwd(), f)).join("\n"));
}
