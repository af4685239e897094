/**
 * One stack of the event bus: its JetStream topology (and, when configured, its Kubernetes
 * objects), from validated configuration. index.ts calls it with the stack's own configuration;
 * tests call it with any.
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS, type SecretKey, type StackConfig, type StackSecrets } from "./config/stack-config";
import type { ConnectionArgs } from "./jetstream/connection-args";
import { EventBusTopology } from "./topology/event-bus-topology";
import { computeTopology } from "./topology/topology";

/** The providers' connection: plain settings from config, credentials from secret config; secret as a whole. */
export function natsConnection(config: StackConfig, secrets: StackSecrets): pulumi.Output<ConnectionArgs> {
  const keys = Object.keys(secrets) as SecretKey[];
  return pulumi.secret(
    pulumi.all(keys.map((k) => secrets[k]!)).apply((values) => {
      const c: Record<string, unknown> = { ...config.nats };
      keys.forEach((k, i) => (c[SECRET_KEYS[k]] = values[i]));
      return c as ConnectionArgs;
    }),
  );
}

export function defineStack(config: StackConfig, secrets: StackSecrets = {}) {
  const topology = computeTopology(config);
  const bus = new EventBusTopology("event-bus", { topology, connection: natsConnection(config, secrets) });
  return {
    environment: config.environment,
    migrationPhase: topology.phase,
    mode: topology.mode,
    streams: Object.fromEntries(topology.streams.map((s) => [s.role, { name: s.config.name, subjects: s.config.subjects ?? [], replicas: s.config.replicas }])),
    bindings: topology.bindings,
    bus,
  };
}
