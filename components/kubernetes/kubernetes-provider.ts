import * as k8s from "@pulumi/kubernetes";
import type { KubernetesConfig } from "./kubernetes-config";

/**
 * The stack's Kubernetes provider. Its kubeconfig comes from where kubectl finds it (KUBECONFIG,
 * else ~/.kube/config), its context from `event-bus:kubernetes.context` or the current one.
 *
 * The flags ConfigMap is updated in place (`enableConfigMapMutable`), never replaced: it keeps
 * the seeds' name `event-bus-config`, which the services and on-call know, a pod can never start
 * without it, and a flag flip previews as an update of its data plus a roll of the Deployments
 * that read it (their checksum annotation), ordered after the durables it concerns. The Secrets
 * too (`enableSecretMutable`): a new password, or routes.conf going from offering the route
 * credentials to requiring them, updates the Secret the pods mount; a replace would be refused
 * in production (protected), and would delete what running pods read.
 */
export function kubernetesProvider(name: string, k: Pick<KubernetesConfig, "context">): k8s.Provider {
  return new k8s.Provider(name, { enableConfigMapMutable: true, enableSecretMutable: true, ...(k.context ? { context: k.context } : {}) });
}
