/**
 * One stack of the event bus: its JetStream topology (and, when configured, its Kubernetes
 * objects), from validated configuration. index.ts calls it with the stack's own configuration;
 * tests call it with any.
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS, type SecretKey, type StackConfig, type StackSecrets } from "./config/stack-config";
import type { ConnectionArgs } from "./jetstream/connection-args";
import { EventBusKubernetes } from "./kubernetes/event-bus-kubernetes";
import { EventBusServices } from "./kubernetes/event-bus-services";
import { kubernetesConfigOf } from "./kubernetes/kubernetes-config";
import { flagsData, renderKubernetes } from "./kubernetes/manifests";
import { natsUsers } from "./kubernetes/nats-users";
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
  const k8sConfig = kubernetesConfigOf(config);
  const manifests = k8sConfig ? renderKubernetes(config, topology, k8sConfig) : undefined;
  // In order: the NATS cluster, then the streams and durables, then the services, so that a roll
  // of the Deployments finds every durable where the services bind.
  const kubernetes = manifests ? new EventBusKubernetes("event-bus", { manifests }) : undefined;
  // On Kubernetes the providers sign in as the admin user with its generated password, unless
  // secret config gives credentials of its own.
  const hasCredentials = Object.keys(secrets).length > 0;
  const effectiveSecrets: StackSecrets = kubernetes && !hasCredentials ? { natsPassword: kubernetes.passwords.admin } : secrets;
  const effectiveConfig: StackConfig =
    kubernetes && !hasCredentials ? { ...config, nats: { ...config.nats, user: natsUsers(config).find((u) => u.name === "admin")!.user } } : config;
  const bus = new EventBusTopology("event-bus", { topology, connection: natsConnection(effectiveConfig, effectiveSecrets) }, { dependsOn: kubernetes ? [kubernetes] : [] });
  const services = manifests && kubernetes ? new EventBusServices("event-bus", { manifests, nats: kubernetes }, { dependsOn: [bus] }) : undefined;
  return {
    environment: config.environment,
    migrationPhase: topology.phase,
    mode: topology.mode,
    streams: Object.fromEntries(topology.streams.map((s) => [s.role, { name: s.config.name, subjects: s.config.subjects ?? [], replicas: s.config.replicas }])),
    bindings: topology.bindings,
    /** What the flags ConfigMap holds (on Kubernetes stacks: event-bus-config); the services restart when it changes. */
    flags: flagsData(config),
    bus,
    kubernetes,
    services,
  };
}
