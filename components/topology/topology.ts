/**
 * The JetStream topology a stack wants, computed from its configuration: which streams exist,
 * which subjects each captures in each migration phase, and which durable consumers read them.
 * Pure: components/topology/event-bus-topology.ts turns it into Stream and Consumer resources.
 *
 * How the migration stays lossless for services that bind as the seeds' normalize-service does
 * (`multi`: the hot stream's durable if it exists, else the legacy one; `single`: legacy only;
 * bound at startup, bound again when the durable disappears):
 * - every stream a phase hands subjects to exists from phase 0 on (created ahead, capturing only
 *   its own name), so a hand-over is two stream updates and never waits for a slow R3 create;
 * - a durable exists only on the stream that captures its filter now: where the services must
 *   bind, and nowhere else, so a `multi` service can never bind a durable that receives nothing;
 * - a hand-over in one `pulumi up`: the subjects move (stored messages stay), the durable is
 *   created on the new owner starting right after the sequence that owner had reached before it
 *   claimed the subjects (nothing skipped, and nothing an earlier incarnation processed is
 *   repeated), and the old durable is deleted only once its readers have drained it; they then
 *   bind again and find the new one. The Deployments roll after all of that (components/stack.ts);
 * - the legacy stream is retired in phase 3 only after a quiet period without a message and with
 *   nothing undelivered; until then the provider refuses to delete it and says why.
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
  /** The legacy stream: deleted only after this long without a message, and once nothing on it is undelivered. */
  retire?: { quietPeriod: string };
}

export interface ConsumerPlan {
  resourceName: string;
  streamRole: StreamRole;
  config: ConsumerConfigArgs;
  /** The stream subject that captures the filter; the durable starts after the sequence at which its stream claimed it. */
  claimSubject: string;
}

export interface Topology {
  phase: Phase;
  mode: StackConfig["mode"];
  streams: StreamPlan[];
  consumers: ConsumerPlan[];
  /** Which stream each service's durable is on in this phase: where the services bind. */
  bindings: { hrv: string; vendor: string };
  /** The stack's opt-ins for what loses data, given to every stream and durable. */
  safety: { forceDelete?: true; allowReplace?: true; adoptExisting?: true };
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
    ...(role === "legacy" ? { retire: { quietPeriod: c.retention.legacyQuietPeriod } } : {}),
  });

  const streams: StreamPlan[] = [
    ...(phase < 3 ? [stream("legacy", c.retention.legacyMaxAge, "athlete-ally events, single-stream topology (being retired)")] : []),
    stream("core", c.retention.hotMaxAge, "athlete-ally core events (hot)"),
    stream("vendor", c.retention.hotMaxAge, "vendor webhook events (hot)"),
    stream("dlq", c.retention.dlqMaxAge, "dead letters of every consumer"),
  ];

  const hrv = c.hrvConsumer;
  const oura = c.vendorConsumer;
  // Each durable lives only on the stream that captures its filter in this phase.
  const durable = (spec: typeof hrv, key: string): ConsumerPlan => {
    const owner = streams.find((s) => coveredBy(spec.filterSubject, subjects[s.role]));
    if (!owner) throw new Error(`no stream captures ${spec.filterSubject} in phase ${phase}`);
    return {
      resourceName: `consumer-${key}-${owner.role}`,
      streamRole: owner.role,
      config: {
        stream: names[owner.role],
        durableName: spec.durable,
        filterSubject: spec.filterSubject,
        ackPolicy: "explicit",
        deliverPolicy: "all",
        maxDeliver: spec.maxDeliver,
        ackWait: spec.ackWait,
        maxAckPending: spec.maxAckPending,
        replicas,
      },
      claimSubject: subjects[owner.role].find((s) => coveredBy(spec.filterSubject, [s]))!,
    };
  };
  const consumers: ConsumerPlan[] = [durable(hrv, "hrv"), durable(oura, "oura")];

  const safety = {
    ...(c.forceDelete ? { forceDelete: true as const } : {}),
    ...(c.allowReplace ? { allowReplace: true as const } : {}),
    ...(c.adoptExisting ? { adoptExisting: true as const } : {}),
  };
  return { phase, mode: c.mode, streams, consumers, bindings: { hrv: consumers[0].config.stream, vendor: consumers[1].config.stream }, safety };
}

/** The Stream resource inputs for a planned stream (without the connection). */
export function streamInputs(plan: StreamPlan): StreamConfigArgs & { deleteWhenDrained?: true; quietPeriod?: string } {
  return { ...plan.config, ...(plan.retire ? { deleteWhenDrained: true as const, quietPeriod: plan.retire.quietPeriod } : {}) };
}

/** The Consumer resource inputs for a planned durable (without the connection and its start). */
export function consumerInputs(plan: ConsumerPlan): ConsumerConfigArgs {
  return { ...plan.config };
}

/**
 * Where a new durable starts: after the sequence its stream had reached when it claimed the
 * subject that the durable reads (0: the stream has captured it since its creation).
 */
export function startAfterSeq(claims: Record<string, number> | undefined, claimSubject: string): number {
  return claims?.[claimSubject] ?? 0;
}
