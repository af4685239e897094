/**
 * What a step is judged against: the facts of one `pulumi up` that the next step plan compares
 * with (the stack output `stepBasis`, read back by the next preview), and the same facts of the
 * program being previewed. Pure.
 */
import { createHash } from "node:crypto";
import stableStringify from "fast-json-stable-stringify";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { newTopologyFraction } from "../topology/catalogue";
import type { Topology } from "../topology/topology";

/** One service Deployment as a step sees it. */
export interface DeploymentBasis {
  /** A digest of its pod template: when it changes, the Deployment rolls. Absent: not known in this preview (a password made by this update). */
  template?: string;
  replicas: number;
  maxSurge: number | string;
  maxUnavailable: number | string;
}

export interface StepBasis {
  phase: number;
  mode: string;
  /** ingest-service's NEW_TOPOLOGY_PERCENTAGE (a fraction, as the seeds read it). */
  newTopology: 0 | 1;
  /** Every stream and what it captures. */
  subjects: Record<string, string[]>;
  /** Every durable and the stream it is on. */
  durables: Record<string, string>;
  /** The service Deployments, by name (none on a stack without Kubernetes). */
  deployments: Record<string, DeploymentBasis>;
  /** The share of normalize pods that run the canary (event-bus:kubernetes.canaryPercent), on Kubernetes. */
  canaryPercent?: number;
}

/** A digest of a pod template (with what the program adds at apply, e.g. the password checksum); its keys' order does not count. */
export function templateDigest(template: unknown): string {
  return createHash("sha256").update(stableStringify(template)).digest("hex").slice(0, 16);
}

/** How a Deployment rolls, as its manifest says. */
export function deploymentBasis(d: IDeployment, template: string | undefined): DeploymentBasis {
  const rolling = d.spec?.strategy?.rollingUpdate;
  return { ...(template ? { template } : {}), replicas: d.spec?.replicas ?? 1, maxSurge: rolling?.maxSurge ?? "25%", maxUnavailable: rolling?.maxUnavailable ?? "25%" };
}

/** The basis of the program being previewed. */
export function stepBasisOf(t: Pick<Topology, "phase" | "mode" | "streams" | "consumers">, deployments: Record<string, DeploymentBasis> = {}, canaryPercent?: number): StepBasis {
  return {
    phase: t.phase,
    mode: t.mode,
    newTopology: newTopologyFraction(t.phase),
    subjects: Object.fromEntries(t.streams.map((s) => [s.config.name, s.config.subjects ?? []])),
    durables: Object.fromEntries(t.consumers.map((c) => [c.config.durableName, c.config.stream])),
    deployments,
    ...(canaryPercent !== undefined ? { canaryPercent } : {}),
  };
}
