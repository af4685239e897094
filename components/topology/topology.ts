/**
 * The JetStream topology a stack wants, computed from its configuration: which streams exist,
 * which subjects each captures in each migration phase, and which durable consumers read them.
 * Pure: components/topology/event-bus-topology.ts turns it into Stream and Consumer resources.
 *
 * How the migration stays lossless and quick:
 * - every stream a phase hands subjects to exists from phase 0 on (created ahead, capturing only
 *   its own name), so a hand-over is two stream updates and never waits for a slow R3 create;
 * - a hand-over only moves subjects, so stored messages stay where they are; the durable that
 *   read them on the old owner stays too (as a drain) until that stream is retired;
 * - the legacy stream is retired in phase 3 only once it is empty: its messages have aged out
 *   (legacyMaxAge after the last one arrived); until then the provider refuses to delete it.
 */
import type { ConsumerConfigArgs } from "../jetstream/consumer-args";
import type { StreamConfigArgs } from "../jetstream/stream-args";
import { coveredBy } from "../jetstream/subjects";
import { replicasOf, type Phase, type StackConfig } from "../config/stack-config";

export const CORE_SUBJECTS = ["athlete-ally.>", "sleep.*"] as const;
export const VENDOR_SUBJECTS = ["vendor.>"] as const;
export const LEGACY_VENDOR_SUBJECTS = ["vendor.oura.>"] as const;
export const DLQ_SUBJECTS = ["dlq.>"] as const;

export type StreamRole = "legacy" | "core" | "vendor" | "dlq";

export interface StreamPlan {
  role: StreamRole;
  /** Pulumi resource name, stable across phases so a stream is never replaced by a phase change. */
  resourceName: string;
  config: StreamConfigArgs;
  /** Production streams are protected from `pulumi destroy`. */
  protect: boolean;
}

export interface ConsumerPlan {
  resourceName: string;
  streamRole: StreamRole;
  config: ConsumerConfigArgs;
  /** True when the stream no longer captures the filter: the durable only drains what is stored. */
  drainOnly: boolean;
}

export interface Topology {
  phase: Phase;
  mode: StackConfig["mode"];
  streams: StreamPlan[];
  consumers: ConsumerPlan[];
  /** Which stream each service binds its durable on, as the flags ConfigMap tells them. */
  bindings: { hrv: string; vendor: string };
  /** The stack's opt-ins for what loses data, given to every stream and durable. */
  safety: { forceDelete?: true; allowReplace?: true };
}

/** Subjects each stream captures in a phase. A stream with none captures only its own name. */
export function subjectsByPhase(phase: Phase): Record<StreamRole, string[]> {
  return {
    legacy: [...(phase < 2 ? ["athlete-ally.>"] : []), ...(phase < 1 ? LEGACY_VENDOR_SUBJECTS : []), ...(phase < 2 ? ["sleep.*"] : [])],
    vendor: phase >= 1 ? [...VENDOR_SUBJECTS] : [],
    core: phase >= 2 ? [...CORE_SUBJECTS] : [],
    dlq: [...DLQ_SUBJECTS],
  };
}

export function computeTopology(c: StackConfig): Topology {
  const phase = c.migrationPhase as Phase;
  const replicas = replicasOf(c);
  const subjects = subjectsByPhase(phase);
  const production = c.environment === "production";
  const names = c.streams;

  // The retiring legacy stream gives up its protection once it captures nothing (phase 2), so that
  // phase 3 can delete it; the provider still refuses while it holds messages.
  const protect = (role: StreamRole) => production && !(role === "legacy" && phase >= 2);
  const stream = (role: StreamRole, maxAge: string, description: string): StreamPlan => ({
    role,
    resourceName: `stream-${role}`,
    config: {
      name: names[role],
      subjects: subjects[role].length ? subjects[role] : undefined,
      description,
      retention: "limits",
      storage: "file",
      replicas,
      maxAge,
      discard: "old",
    },
    protect: protect(role),
  });

  const streams: StreamPlan[] = [
    ...(phase < 3 ? [stream("legacy", c.retention.legacyMaxAge, "athlete-ally events, single-stream topology (being retired)")] : []),
    stream("core", c.retention.hotMaxAge, "athlete-ally core events (hot)"),
    stream("vendor", c.retention.hotMaxAge, "vendor webhook events (hot)"),
    stream("dlq", c.retention.dlqMaxAge, "dead letters of every consumer"),
  ];

  const hrv = c.hrvConsumer;
  const oura = c.vendorConsumer;
  const durable = (role: StreamRole, spec: typeof hrv, key: string): ConsumerPlan => {
    return {
      resourceName: `consumer-${key}-${role}`,
      streamRole: role,
      config: {
        stream: names[role],
        durableName: spec.durable,
        filterSubject: spec.filterSubject,
        ackPolicy: "explicit",
        deliverPolicy: "all",
        maxDeliver: spec.maxDeliver,
        ackWait: spec.ackWait,
        maxAckPending: spec.maxAckPending,
        replicas,
      },
      drainOnly: !coveredBy(spec.filterSubject, subjects[role]),
    };
  };

  // Each durable lives on the stream that captures its subjects now, and on every other stream
  // of the migration that exists: there it drains what was stored before (or after a rollback).
  const consumers: ConsumerPlan[] = [];
  for (const role of ["legacy", "core"] as const) if (streams.some((s) => s.role === role)) consumers.push(durable(role, hrv, "hrv"));
  for (const role of ["legacy", "vendor"] as const) if (streams.some((s) => s.role === role)) consumers.push(durable(role, oura, "oura"));

  const owner = (filter: string): string => streams.find((s) => coveredBy(filter, subjects[s.role]))?.config.name ?? names.legacy;
  const safety = { ...(c.forceDelete ? { forceDelete: true as const } : {}), ...(c.allowReplace ? { allowReplace: true as const } : {}) };
  return { phase, mode: c.mode, streams, consumers, bindings: { hrv: owner(hrv.filterSubject), vendor: owner(oura.filterSubject) }, safety };
}

/** The Stream resource inputs for a planned stream (without the connection). */
export function streamInputs(plan: StreamPlan): StreamConfigArgs {
  return { ...plan.config };
}

/** The Consumer resource inputs for a planned durable (without the connection). */
export function consumerInputs(plan: ConsumerPlan): ConsumerConfigArgs & { drainOnly?: boolean } {
  return { ...plan.config, ...(plan.drainOnly ? { drainOnly: true } : {}) };
}
