/**
 * What every pod of the stack runs with, so that it is admitted where Pod Security "restricted" is
 * enforced (kubernetes.io/docs/concepts/security/pod-security-standards): not as root, no
 * privilege escalation, every capability dropped, the runtime's seccomp profile, a read-only root
 * filesystem (each process writes only to its volumes), and a ServiceAccount of its own whose
 * token is never mounted (no pod of the stack talks to the Kubernetes API). Pure.
 */
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IPodSecurityContext } from "kubernetes-models/v1/PodSecurityContext";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import { labels } from "./labels";

/**
 * The user and group the pods run as. Not root (the NATS images' default user is root); the group
 * owns the JetStream volume (fsGroup), so nats-server can write to it.
 */
export const POD_USER = 1000;

export const POD_SECURITY_CONTEXT: IPodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: POD_USER,
  runAsGroup: POD_USER,
  fsGroup: POD_USER,
  seccompProfile: { type: "RuntimeDefault" },
};

export const CONTAINER_SECURITY_CONTEXT: ISecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
};

/** The namespace labels that make the API server refuse any pod that is not "restricted" (and warn and audit the same). */
export const RESTRICTED_NAMESPACE_LABELS: Record<string, string> = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/warn": "restricted",
  "pod-security.kubernetes.io/audit": "restricted",
};

/** A workload's own ServiceAccount, whose token no pod mounts. */
export function serviceAccount(name: string, namespace: string, app: string): IServiceAccount {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace, labels: labels(app) }, automountServiceAccountToken: false };
}

/** The pod spec fields that run a pod as its ServiceAccount, without its token, restricted. */
export function restrictedPod(serviceAccountName: string): { serviceAccountName: string; automountServiceAccountToken: false; securityContext: IPodSecurityContext } {
  return { serviceAccountName, automountServiceAccountToken: false, securityContext: POD_SECURITY_CONTEXT };
}
