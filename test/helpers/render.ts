import { parseStackConfig, type StackConfig } from "../../components/config/stack-config";
import { kubernetesConfigOf } from "../../components/kubernetes/kubernetes-config";
import { renderKubernetes } from "../../components/kubernetes/manifests";
import { computeTopology } from "../../components/topology/topology";
import { stackConfigFile } from "./stack-files";

/** A stack's Kubernetes manifests from its stack file, with keys overridden (`kubernetes` and `kubernetes.nats` merged). */
export function render(stack: string, extra: Record<string, unknown> = {}) {
  const raw = stackConfigFile(stack);
  const [file, more] = [raw.kubernetes as Record<string, unknown>, (extra.kubernetes ?? {}) as Record<string, unknown>];
  const kubernetes = { ...file, ...more, nats: { ...(file.nats as object), ...(more.nats as object) } };
  const config = parseStackConfig({ ...raw, ...extra, kubernetes }) as StackConfig;
  const topology = computeTopology(config);
  return { config, topology, m: renderKubernetes(config, topology, kubernetesConfigOf(config)!) };
}
