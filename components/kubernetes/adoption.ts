/**
 * Taking over Kubernetes objects that already run (event-bus:kubernetes.adopt): the seeds'
 * production has its NATS StatefulSet, its Services, the `event-bus-config` ConfigMap and the
 * service Deployments before this stack exists. Each one named in `adopt` is imported by the
 * real plugin (Pulumi's `import` resource option) instead of created, then updated in place to
 * what the stack declares, in the same `pulumi up`; the preview shows it first. Pure.
 */
import type * as pulumi from "@pulumi/pulumi";
import { StackConfigError } from "../config/stack-config";

/** An object as the stack renders it: enough to name it. */
export interface Named {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}

/** How `adopt` names an object: its kind, as in the manifest, and its name (`StatefulSet/nats`). */
export const adoptKey = (o: Named) => `${o.kind}/${o.metadata?.name}`;

/**
 * What the API server fills in on an object and the stack never declares. An import records the
 * whole live object as the resource's inputs; without these, the next diff would read each one as
 * removed, and the plugin replaces a Service whose clusterIP changes. They are the server's, so
 * the stack keeps them on every object of these kinds, adopted or not: on one it created they are
 * in neither the old inputs nor the new (nothing to keep), and an adopted one stays safe after it
 * leaves the `adopt` list (its state holds them as inputs from then on).
 */
const SERVER_ASSIGNED: Record<string, string[]> = {
  Service: ["spec.clusterIP", "spec.clusterIPs", "spec.ipFamilies", "spec.ipFamilyPolicy", "spec.internalTrafficPolicy", "spec.sessionAffinity", "spec.type"],
  // Defaults on fields the plugin can only replace: a claim template's kind, version, volume mode
  // and status, and the revision history. What the stack declares in them (the template's name,
  // access modes, size and class) is still compared, so a real difference is still a replace,
  // which the engine refuses for an imported object.
  StatefulSet: [
    "spec.revisionHistoryLimit",
    "spec.volumeClaimTemplates[*].apiVersion",
    "spec.volumeClaimTemplates[*].kind",
    "spec.volumeClaimTemplates[*].metadata.creationTimestamp",
    "spec.volumeClaimTemplates[*].spec.volumeMode",
    "spec.volumeClaimTemplates[*].status",
  ],
};

/**
 * The import id (`<namespace>/<name>`) of each object to adopt, by adoptKey. A name in `adopt`
 * that the stack does not make is refused, naming the key and the names it could be.
 */
export function adoptionIds(rendered: Named[], adopt: string[]): Record<string, string> {
  const byKey = new Map(rendered.map((o) => [adoptKey(o), o]));
  const problems = adopt
    .map((key, i) => ({ key, i }))
    .filter(({ key }) => !byKey.has(key))
    .map(({ key, i }) => ({
      key: `kubernetes.adopt[${i}]`,
      reason: `"${key}" is not an object this stack makes; expected one of ${[...byKey.keys()].sort().map((k) => `"${k}"`).join(", ")}`,
    }));
  const seen = new Set<string>();
  adopt.forEach((key, i) => {
    if (seen.has(key)) problems.push({ key: `kubernetes.adopt[${i}]`, reason: `"${key}" is named twice` });
    seen.add(key);
  });
  if (problems.length) throw new StackConfigError(problems);
  return Object.fromEntries(adopt.map((key) => [key, `${byKey.get(key)!.metadata!.namespace}/${byKey.get(key)!.metadata!.name}`]));
}

/**
 * The plugin's annotation that makes its server-side apply take the fields it declares from
 * whichever field manager holds them (kubectl, a script): an adopted object's fields were set by
 * hand, and without it the first update stops on their conflicts.
 */
export const PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce";

/**
 * An object as the stack declares it and its resource options: what the server assigned kept;
 * and when it is adopted, the import and the stack taking its fields over.
 */
export function adoption<T extends Named>(o: T, ids: Record<string, string>): { manifest: T; options: Pick<pulumi.CustomResourceOptions, "import" | "ignoreChanges"> } {
  const kept = SERVER_ASSIGNED[o.kind ?? ""];
  const keeping = kept ? { ignoreChanges: kept } : {};
  const id = ids[adoptKey(o)];
  if (!id) return { manifest: o, options: keeping };
  const metadata = o.metadata as Named["metadata"] & { annotations?: Record<string, string> };
  return {
    manifest: { ...o, metadata: { ...metadata, annotations: { ...metadata?.annotations, [PATCH_FORCE_ANNOTATION]: "true" } } },
    options: { import: id, ...keeping },
  };
}

/**
 * The arguments of a Kubernetes resource for an object of the manifests: as declared and with
 * `options`, or adopted (import, ignoreChanges and the annotation above) when `ids` names it.
 */
export function declared<T extends Named>(o: T, ids: Record<string, string>, options: pulumi.CustomResourceOptions): [any, pulumi.CustomResourceOptions] {
  const a = adoption(o, ids);
  return [a.manifest, { ...options, ...a.options }];
}
