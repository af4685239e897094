import { parseStackConfig, type StackConfig } from "../../components/config/stack-config";
import { kubernetesConfigOf } from "../../components/kubernetes/kubernetes-config";
import { renderKubernetes } from "../../components/kubernetes/manifests";
import { computeTopology } from "../../components/topology/topology";
import { stackConfigFile } from "./stack-files";

/** A stack's Kubernetes manifests from its stack file, with keys overridden (`kubernetes` merged). */
export function render(stack: string, extra: Record<string, unknown> = {}) {
  const raw = stackConfigFile(stack);
  const config = parseStackConfig({ ...raw, ...extra, kubernetes: { ...(raw.kubernetes as object), ...((extra.kubernetes as object) ?? {}) } }) as StackConfig;
  const topology = computeTopology(config);
  return { config, topology, m: renderKubernetes(config, topology, kubernetesConfigOf(config)!) };
}
