/**
 * The topology catalogue: every fact of the bus's shape, once. The streams and what each
 * captures in each migration phase, the durable consumers with their settings and dead-letter
 * subjects, and which service reads or publishes what. Everything else reads it: the stack
 * configuration's defaults (components/config/stack-config.ts), the topology per phase
 * (topology.ts), the flags ConfigMap and the NATS users' permissions (components/kubernetes),
 * and the policies' defaults (policies/). Adding a consumer or moving a subject is one edit here
 * (test/topology/catalogue.test.ts shows both).
 */

export const STREAM_ROLES = ["legacy", "core", "vendor", "dlq"] as const;
export type StreamRole = (typeof STREAM_ROLES)[number];
export type HotRole = "core" | "vendor";

export interface StreamEntry {
  /** The stream's name unless `event-bus:streams.<role>` says otherwise (the seeds' STREAM_*_NAME). */
  name: string;
  description: string;
  /** Which `event-bus:retention` key sets its max age. */
  maxAgeKey: "legacyMaxAge" | "hotMaxAge" | "dlqMaxAge";
}

/** A subject of the single-stream bus and the phase in which it moves to a hot stream. */
export interface SubjectMove {
  /** What the legacy stream captures until the move. */
  legacy: string;
  to: HotRole;
  phase: 1 | 2;
  /** What the hot stream captures from then on, when wider than the legacy subject. */
  as?: string;
}

/** A durable consumer: its defaults (each overridable in `event-bus:<key>Consumer`) and who reads it. */
export interface ConsumerEntry {
  /** Its key: `event-bus:<key>Consumer` in the stack file, and its entry in the `bindings` output. */
  key: string;
  /** The stable part of its Pulumi resource names (`consumer-<resource>-<role>`). */
  resource: string;
  /** The service that binds it. */
  service: "normalize-service";
  durable: string;
  filterSubject: string;
  maxDeliver: number;
  ackWait: string;
  maxAckPending: number;
  /** Where the service sends what it gives up on; a DLQ stream subject must capture it. */
  dlqSubject: string;
}

export interface Catalogue {
  streams: Record<StreamRole, StreamEntry>;
  /** In the legacy stream's subject order. */
  moves: SubjectMove[];
  dlqSubjects: string[];
  /** The phase from which the legacy stream is retired. */
  retirePhase: 3;
  consumers: ConsumerEntry[];
}

export const CATALOGUE: Catalogue = {
  streams: {
    legacy: { name: "ATHLETE_ALLY_EVENTS", description: "athlete-ally events, single-stream topology (being retired)", maxAgeKey: "legacyMaxAge" },
    core: { name: "AA_CORE_HOT", description: "athlete-ally core events (hot)", maxAgeKey: "hotMaxAge" },
    vendor: { name: "AA_VENDOR_HOT", description: "vendor webhook events (hot)", maxAgeKey: "hotMaxAge" },
    dlq: { name: "AA_DLQ", description: "dead letters of every consumer", maxAgeKey: "dlqMaxAge" },
  },
  moves: [
    { legacy: "athlete-ally.>", to: "core", phase: 2 },
    // The vendor stream takes every vendor's webhooks, not only Oura's.
    { legacy: "vendor.oura.>", to: "vendor", phase: 1, as: "vendor.>" },
    { legacy: "sleep.*", to: "core", phase: 2 },
  ],
  dlqSubjects: ["dlq.>"],
  retirePhase: 3,
  consumers: [
    {
      key: "hrv",
      resource: "hrv",
      service: "normalize-service",
      durable: "normalize-hrv-durable",
      filterSubject: "athlete-ally.hrv.raw-received",
      maxDeliver: 5,
      ackWait: "60s",
      maxAckPending: 1000,
      dlqSubject: "dlq.normalize.hrv.raw-received",
    },
    {
      // The seeds give only its name and stream; it shares the HRV durable's settings (README).
      key: "vendor",
      resource: "oura",
      service: "normalize-service",
      durable: "normalize-oura",
      filterSubject: "vendor.oura.>",
      maxDeliver: 5,
      ackWait: "60s",
      maxAckPending: 1000,
      dlqSubject: "dlq.normalize.oura",
    },
  ],
};

/** What each stream captures in a phase. A stream with none captures only its own name. */
export function subjectsByPhase(phase: number, catalogue: Catalogue = CATALOGUE): Record<StreamRole, string[]> {
  const hot = (role: HotRole) => [...new Set(catalogue.moves.filter((m) => m.to === role && m.phase <= phase).map((m) => m.as ?? m.legacy))];
  return {
    legacy: catalogue.moves.filter((m) => m.phase > phase).map((m) => m.legacy),
    core: hot("core"),
    vendor: hot("vendor"),
    dlq: [...catalogue.dlqSubjects],
  };
}

/** Every subject the publishers send to, as the streams capture them once the migration is done. */
export function publishedSubjects(catalogue: Catalogue = CATALOGUE): string[] {
  return [...new Set(catalogue.moves.map((m) => m.as ?? m.legacy))].sort();
}

/**
 * The seeds' ingest-service picks each core event's stream with
 * `Math.random() < parseFloat(NEW_TOPOLOGY_PERCENTAGE)`: the core stream if so, else the legacy
 * one, and publishes expecting that stream. A subject is captured by one stream at a time, so the
 * one value that fails no publish is where the core subjects are in the phase: 0 while the legacy
 * stream captures them, 1 once the core stream does.
 */
export function newTopologyFraction(phase: number, catalogue: Catalogue = CATALOGUE): 0 | 1 {
  const core = catalogue.moves.filter((m) => m.to === "core");
  if (core.every((m) => m.phase <= phase)) return 1;
  if (core.every((m) => m.phase > phase)) return 0;
  throw new Error(`phase ${phase} splits the core subjects between streams; no NEW_TOPOLOGY_PERCENTAGE serves both`);
}
