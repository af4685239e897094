/**
 * What the policies read from a stack's resources: its streams and consumers (the dynamic
 * resources' inputs), its ConfigMaps and Deployments, and whether it is a production stack.
 */
import type { PolicyResource } from "@pulumi/policy";

import { CONFIGMAP_TYPE, CONSUMER_TYPE, STREAM_TYPE } from "../components/resource-types";

export { CONFIGMAP_TYPE, CONSUMER_TYPE, DEPLOYMENT_TYPE, SECRET_TYPE, STATEFULSET_TYPE, STREAM_TYPE } from "../components/resource-types";

export interface StreamView {
  resource: PolicyResource;
  name: string;
  /** What the stream captures: its subjects, or its own name when it lists none (as the server does). */
  subjects: string[];
  listedSubjects: boolean;
  replicas: number;
  maxAge: string;
}

export interface ConsumerView {
  resource: PolicyResource;
  stream: string;
  durable: string;
  filters: string[];
  replicas?: number;
  maxDeliver: number;
  drainOnly: boolean;
}

export function streamsOf(resources: PolicyResource[]): StreamView[] {
  return resources
    .filter((r) => r.type === STREAM_TYPE)
    .map((r) => {
      const p = r.props as Record<string, any>;
      const listed = Array.isArray(p.subjects) && p.subjects.length > 0;
      return { resource: r, name: p.name, subjects: listed ? p.subjects : [p.name], listedSubjects: listed, replicas: p.replicas ?? 1, maxAge: p.maxAge ?? "0" };
    });
}

export function consumersOf(resources: PolicyResource[]): ConsumerView[] {
  return resources
    .filter((r) => r.type === CONSUMER_TYPE)
    .map((r) => {
      const p = r.props as Record<string, any>;
      const filters: string[] = p.filterSubjects ?? (p.filterSubject ? [p.filterSubject] : []);
      return { resource: r, stream: p.stream, durable: p.durableName, filters, replicas: p.replicas, maxDeliver: p.maxDeliver ?? -1, drainOnly: p.drainOnly === true };
    });
}

/** The stack's name, from a resource's URN (urn:pulumi:<stack>::<project>::...). */
export function stackOf(resources: PolicyResource[]): string | undefined {
  return resources[0]?.urn.split(":")[2];
}

export function configMaps(resources: PolicyResource[]): Array<{ resource: PolicyResource; name: string; data: Record<string, string> }> {
  return resources
    .filter((r) => r.type === CONFIGMAP_TYPE)
    .map((r) => ({ resource: r, name: (r.props as any).metadata?.name ?? r.name, data: ((r.props as any).data ?? {}) as Record<string, string> }));
}
