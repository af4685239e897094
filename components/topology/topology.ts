/**
 * The JetStream topology a stack wants, computed from the catalogue (catalogue.ts: the streams,
 * what each captures per phase, the durables) and the stack's configuration (names, settings,
 * phase, replicas): which streams exist now and which durables are where.
 * Pure: components/topology/event-bus-topology.ts turns it into Stream and Consumer resources.
 *
 * How the migration stays lossless for services that bind as the seeds' normalize-service does
 * (`multi`: the hot stream's durable if it exists, else the legacy one; `single`: legacy only;
 * bound once, at startup, and never looked for again):
 * - every stream a phase hands subjects to exists from phase 0 on (created ahead, capturing only
 *   its own name), so a hand-over is two stream updates and never waits for a slow R3 create;
 * - a durable exists on one stream at a time, the one that captures its filter now: a `multi`
 *   service can never bind a durable that receives nothing, and none is ever left without one;
 * - a hand-over in one `pulumi up`: the subjects move (stored messages stay); then the durable
 *   moves, as one update of its Consumer (the resource is the durable, wherever it lives): it
 *   waits until the readers bound to it on the old stream have drained it, is created on the new
 *   owner right after the sequence that owner had reached when it claimed the subjects (nothing
 *   skipped, nothing an earlier incarnation processed repeated), and only then leaves the old
 *   stream. A pod that starts meanwhile, in either direction, finds the old durable first (the
 *   new one does not exist yet) and helps drain it;
 * - the services roll after that (components/kubernetes/service-deployments.ts: a change of
 *   where a durable is rolls normalize-service; a change of where ingest's subjects are rolls
 *   ingest-service), so a new pod binds the durable's new place, and no pod is left on a durable
 *   with a backlog;
 * - the legacy stream is retired in phase 3 only after a quiet period without a message and with
 *   nothing undelivered; until then the provider refuses to delete it and says why.
 */
import type { ConsumerConfigArgs } from "../jetstream/consumer-args";
import type { StreamConfigArgs } from "../jetstream/stream-args";
import { coveredBy } from "../jetstream/subjects";
import { consumerSettings, replicasOf, type Phase, type StackConfig } from "../config/stack-config";
import { CATALOGUE, STREAM_ROLES, subjectsByPhase, type Catalogue, type StreamRole } from "./catalogue";

export type { StreamRole } from "./catalogue";
export { subjectsByPhase } from "./catalogue";

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
  /** Pulumi resource name, one per durable whatever stream it is on, so a move is an update. */
  resourceName: string;
  /** The names it had when it was one resource per stream (`consumer-<resource>-<role>`): aliases, so old state carries over. */
  formerNames: string[];
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
  /** Per catalogue consumer (hrv, vendor): the stream its durable is on in this phase, where the services bind. */
  bindings: Record<string, string>;
  /** Why the legacy stream stays although the phase retires it. */
  legacyHold?: string;
  /** The stack's opt-ins for what loses data, given to every stream and durable. */
  safety: { forceDelete?: true; allowReplace?: true; adoptExisting?: true };
}

export function computeTopology(c: StackConfig, catalogue: Catalogue = CATALOGUE, options: { legacyHold?: string } = {}): Topology {
  const phase = c.migrationPhase as Phase;
  const replicas = replicasOf(c);
  const subjects = subjectsByPhase(phase, catalogue);
  const production = c.environment === "production";
  const names = c.streams;

  // The retiring legacy stream gives up its protection once it captures nothing (phase 2), so that
  // phase 3 can delete it; the provider still refuses while it holds messages.
  const protect = (role: StreamRole) => production && !(role === "legacy" && phase >= 2);
  const stream = (role: StreamRole): StreamPlan => ({
    role,
    resourceName: `stream-${role}`,
    config: {
      name: names[role],
      subjects: subjects[role].length ? subjects[role] : undefined,
      description: catalogue.streams[role].description,
      retention: "limits",
      storage: "file",
      replicas,
      maxAge: c.retention[catalogue.streams[role].maxAgeKey],
      discard: "old",
    },
    protect: protect(role),
    ...(role === "legacy" ? { retire: { quietPeriod: c.retention.legacyQuietPeriod } } : {}),
  });

  // A legacy stream that may not be retired yet (legacyHold: the program looked) stays, capturing nothing.
  const streams: StreamPlan[] = STREAM_ROLES.filter((role) => role !== "legacy" || phase < catalogue.retirePhase || options.legacyHold).map(stream);

  // Each durable lives only on the stream that captures its filter in this phase.
  // A durable whose subjects no stream stores yet (a vendor's, before its move) waits for its phase.
  const durable = (spec: ReturnType<typeof consumerSettings>, key: string): ConsumerPlan | undefined => {
    const owner = streams.find((s) => coveredBy(spec.filterSubject, subjects[s.role]));
    if (!owner) return undefined;
    return {
      resourceName: `consumer-${key}`,
      formerNames: STREAM_ROLES.map((role) => `consumer-${key}-${role}`),
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
  const placed = catalogue.consumers.map((e) => ({ key: e.key, plan: durable(consumerSettings(c, e), e.resource) }));
  const consumers = placed.flatMap((p) => (p.plan ? [p.plan] : []));

  const safety = {
    ...(c.forceDelete ? { forceDelete: true as const } : {}),
    ...(c.allowReplace ? { allowReplace: true as const } : {}),
    ...(c.adoptExisting ? { adoptExisting: true as const } : {}),
  };
  return { phase, mode: c.mode, streams, consumers, ...(options.legacyHold && phase >= catalogue.retirePhase ? { legacyHold: options.legacyHold } : {}), bindings: Object.fromEntries(placed.flatMap((p) => (p.plan ? [[p.key, p.plan.config.stream]] : []))), safety };
}

/** The Stream resource inputs for a planned stream (without the connection). */
export function streamInputs(plan: StreamPlan): StreamConfigArgs & { deleteWhenDrained?: true; quietPeriod?: string } {
  return { ...plan.config, ...(plan.retire ? { deleteWhenDrained: true as const, quietPeriod: plan.retire.quietPeriod } : {}) };
}

/** Every planned stream and the subjects it captures once the deployment is done (the streams' `handover` input). */
export function handoverOf(t: Pick<Topology, "streams">): Record<string, string[]> {
  return Object.fromEntries(t.streams.map((s) => [s.config.name, s.config.subjects ?? []]));
}

/** The Consumer resource inputs for a planned durable (without the connection and its start). */
export function consumerInputs(plan: ConsumerPlan): ConsumerConfigArgs {
  return { ...plan.config };
}

/**
 * Where a new durable starts: after the sequence its stream had reached when it claimed the
 * subject that the durable reads (0: the stream has captured it since its creation). A claim not
 * known is an error, never 0 (which would replay the whole stream): the stream provider records
 * a claim for every subject it captures, recovering those an earlier release did not.
 */
export function startAfterSeq(stream: string, claims: Record<string, number> | undefined, claimSubject: string): number {
  const claim = claims?.[claimSubject];
  if (claim === undefined) {
    throw new Error(`stream ${stream}: no claim known for subject "${claimSubject}" (where a durable reading it starts); run \`pulumi refresh\` (the stream provider recovers it from the stream), then \`pulumi up\``);
  }
  return claim;
}
