/**
 * Fields of a live object that another tool's field manager owns and the stack does not declare,
 * such as the Helm chart's config-reloader container on a NATS StatefulSet. The Kubernetes plugin's
 * server-side apply takes over only the managers `kubectl` and `before-first-apply` (and its own
 * former ones); a field that `helm` (or `kubectl-set`, `kubectl-edit`, ...) owns stays on the object
 * after the stack's update, in the pods' template, where Pod Security "restricted" then refuses
 * the pods. Found in the preview of an adopted object and refused with the commands that hand the
 * fields over: strip the object's managed fields, then apply one annotation server-side as
 * `kubectl`, so that the API server records every other field as `before-first-apply`'s (an update
 * without managed fields records none; an apply does); the plugin takes both managers over, and
 * the stack's next update drops what it does not declare, in the same roll. Neither command
 * changes the pods. Pure.
 */

type Containers = ReadonlyArray<{ name: string }>;

/** The live pod template's containers the stack's template does not have. */
export function undeclaredContainers(live: Containers, declared: Containers): string[] {
  const ours = new Set(declared.map((c) => c.name));
  return live.map((c) => c.name).filter((n) => !ours.has(n));
}

/** The annotation the hand-over's second command applies (it says the fields were handed over). */
export const HANDED_OVER_ANNOTATION = "event-bus.athlete-ally/handed-over";

/** The commands that hand every field of an object over to the stack's next update. */
export function handOverCommands(namespace: string, apiVersion: string, kind: string, name: string): string[] {
  const mark = JSON.stringify({ apiVersion, kind, metadata: { name, annotations: { [HANDED_OVER_ANNOTATION]: "true" } } });
  return [
    `kubectl -n ${namespace} patch ${kind.toLowerCase()}/${name} --type=merge -p '{"metadata":{"managedFields":[{}]}}'`,
    `echo '${mark}' | kubectl -n ${namespace} apply --server-side --field-manager=kubectl -f -`,
  ];
}

export function undeclaredContainersError(namespace: string, apiVersion: string, kind: string, name: string, containers: readonly string[]): string {
  return (
    `${kind.toLowerCase()} ${namespace}/${name}: container${containers.length > 1 ? "s" : ""} ${containers.join(", ")} of its pods ${containers.length > 1 ? "are" : "is"} not the stack's, and another tool's field manager owns ${containers.length > 1 ? "them" : "it"} (the Helm chart's config reloader, for one): ` +
    `the stack's update would leave ${containers.length > 1 ? "them" : "it"} in the pods. Hand the object's fields over to the stack first (${handOverCommands(namespace, apiVersion, kind, name).join(" && ")}; neither rolls a pod), then preview again: the up removes ${containers.length > 1 ? "them" : "it"} in its one roll`
  );
}
