/**
 * One stack of the event bus: its JetStream topology (and, when configured, its Kubernetes
 * objects), from validated configuration. index.ts calls it with the stack's own configuration;
 * tests call it with any.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { busLookRequired, SECRET_KEYS, StackConfigError, type SecretKey, type StackConfig, type StackSecrets, type UserPasswords } from "./config/stack-config";
import type { ConnectionArgs } from "./jetstream/connection-args";
import { EventBusKubernetes } from "./kubernetes/event-bus-kubernetes";
import { EventBusServices } from "./kubernetes/event-bus-services";
import { carriedHashProblems, carriedSlotProblems, kubernetesConfigOf } from "./kubernetes/kubernetes-config";
import { connectionForTlsStage } from "./kubernetes/nats-tls";
import { kubernetesProvider } from "./kubernetes/kubernetes-provider";
import { flagsData } from "./kubernetes/flags";
import { allManifests, renderKubernetes, type KubernetesManifests } from "./kubernetes/manifests";
import { adoptKey, adoptionIds } from "./kubernetes/adoption";
import { CATALOGUE } from "./topology/catalogue";
import { knownValue, lookAtBus, unseenWarning, type BusLook } from "./topology/bus-look";
import { connectionProblems } from "./config/connection-problems";
import { identityProblems } from "./config/identity-problems";
import { judgePhaseStep } from "./topology/phase-step";
import { ADMIN_USER, adminInUse } from "./kubernetes/nats-users";
import { EventBusTopology } from "./topology/event-bus-topology";
import { computeTopology } from "./topology/topology";
import { printStepPlan, stepBasisOutput } from "./plan/explain";

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

/** The NATS side of a stack: its cluster on Kubernetes (when configured) and how the providers reach it. */
export interface StackNats {
  config: StackConfig;
  manifests?: KubernetesManifests;
  kubernetes?: EventBusKubernetes;
  provider?: k8s.Provider;
  /** Live Kubernetes objects taken over (event-bus:kubernetes.adopt), by adoptKey. */
  adopt: Record<string, string>;
  /** The providers' connection, secret. */
  connection: pulumi.Output<ConnectionArgs>;
}

/** Registers the NATS cluster (on Kubernetes) and says how to reach it. */
export function defineNats(config: StackConfig, secrets: StackSecrets = {}, userPasswords: UserPasswords = {}): StackNats {
  const k8sConfig = kubernetesConfigOf(config);
  const manifests = k8sConfig ? renderKubernetes(config, computeTopology(config), k8sConfig) : undefined;
  const adopt = manifests && k8sConfig ? adoptionIds(allManifests(manifests), k8sConfig.adopt) : {};
  const provider = k8sConfig ? kubernetesProvider("event-bus-kubernetes", k8sConfig) : undefined;
  const carried = Object.keys(userPasswords);
  const slotProblems = [...carriedHashProblems(k8sConfig?.nats.passwordHashes, carried), ...carriedSlotProblems(k8sConfig?.nats.passwordSlots, carried)];
  if (slotProblems.length) throw new StackConfigError(slotProblems);
  const kubernetes =
    manifests && k8sConfig && provider
      ? new EventBusKubernetes("event-bus", { manifests, provider, createNamespace: k8sConfig.createNamespace, protect: config.environment === "production", userPasswords, adopt })
      : undefined;
  // On Kubernetes the providers sign in as the admin user: with the password the `up`'s
  // environment holds (nats.passwordEnv, its hash in kubernetes.nats.passwordHashes), else with the
  // one the stack generates, unless secret config gives credentials of its own.
  const hasCredentials = Object.keys(secrets).length > 0 || config.nats.passwordEnv !== undefined;
  // The admin's user name in the slot this `up` signs in with (kubernetes.nats.passwordSlots.admin).
  const inUse = adminInUse(k8sConfig?.nats.passwordSlots?.admin);
  const admin = inUse.user;
  const effectiveSecrets: StackSecrets = kubernetes && !hasCredentials ? { natsPassword: kubernetes.passwords[inUse.key] } : secrets;
  const effectiveConfig: StackConfig = kubernetes && (!hasCredentials || config.nats.passwordEnv) ? { ...config, nats: { ...config.nats, user: config.nats.user === undefined || config.nats.user === ADMIN_USER ? admin : config.nats.user } } : config;
  // Before the servers require TLS (kubernetes.nats.tls.stage "trust" or "offer"), the providers speak plain (nats-tls.ts).
  const connectionConfig = { ...effectiveConfig, nats: connectionForTlsStage(effectiveConfig.nats, k8sConfig?.nats.tls) };
  return { config, manifests, kubernetes, provider, adopt, connection: natsConnection(connectionConfig, effectiveSecrets) };
}

/**
 * Registers the streams and durables, then the services. In order: the NATS cluster, then the
 * streams and durables, then the services (ingest-service after the streams, the flags and
 * normalize-service after the durables too), so that a roll of the Deployments finds every
 * durable where the services bind. `legacyHold` keeps the legacy stream in phase 3 and says why.
 */
export function defineBus(nats: StackNats, options: { legacyHold?: string } = {}) {
  const { config, manifests, kubernetes, provider, adopt } = nats;
  const topology = computeTopology(config, CATALOGUE, options);
  const bus = new EventBusTopology("event-bus", { topology, connection: nats.connection }, { dependsOn: kubernetes ? [kubernetes] : [] });
  const services = manifests && kubernetes && provider ? new EventBusServices("event-bus", { manifests, nats: kubernetes, bus, provider, adopt }) : undefined;
  return {
    environment: config.environment,
    migrationPhase: topology.phase,
    mode: topology.mode,
    streams: Object.fromEntries(topology.streams.map((s) => [s.role, { name: s.config.name, subjects: s.config.subjects ?? [], replicas: s.config.replicas }])),
    bindings: topology.bindings,
    /** What the flags ConfigMap holds (on Kubernetes stacks: event-bus-config); the services restart when it changes. */
    flags: manifests ? manifests.flags.data! : flagsData(config),
    /** Why the legacy stream stays although the phase retires it (its quiet period, or undelivered messages). */
    legacyHold: topology.legacyHold,
    bus,
    kubernetes,
    services,
    topology,
    /** What the next step's plan compares with (components/plan/step-basis.ts): the stack output stepBasis. */
    stepBasis: stepBasisOutput(topology, { manifests, services, canaryPercent: kubernetesConfigOf(config)?.canaryPercent }, [
      ...Object.values(bus.streams),
      ...Object.values(bus.consumers),
      ...(services?.deployments ?? []),
    ] as pulumi.CustomResource[]),
  };
}

/** The whole stack at once, without looking at the server first (tests under mocks, offline policy checks). */
export function defineStack(config: StackConfig, secrets: StackSecrets = {}) {
  return defineBus(defineNats(config, secrets));
}

/**
 * The program: the whole stack, and in a phase that retires the legacy stream, a look at it
 * first, so that a preview already shows it staying, and why, instead of a delete that fails.
 */
export async function defineStackLooking(config: StackConfig, secrets: StackSecrets = {}, userPasswords: UserPasswords = {}) {
  const nats = defineNats(config, secrets, userPasswords);
  // The secrets judged once, by their keys, before any resource is registered.
  const known = await knownValue(nats.connection);
  const problems = known ? [...connectionProblems(known), ...identityProblems(known, kubernetesConfigOf(config)?.nats.passwordHashes, process.env, pulumi.runtime.isDryRun(), kubernetesConfigOf(config)?.nats.passwordSlots?.admin)] : [];
  if (problems.length) throw new StackConfigError(problems);
  // A bus taken over while clients without credentials still may connect (anonymousClients
  // "allow": it has no authorization today) is looked at without credentials when the stack's own
  // are made by this very update: its first preview compares it all the same.
  const anonymous = kubernetesConfigOf(config)?.nats.anonymousClients === "allow";
  // A stack whose NATS cluster this very update creates (the servers' passwords are made by it, and
  // no live StatefulSet is taken over) has no bus to look at yet.
  const creating = nats.kubernetes && nats.manifests && !nats.adopt[adoptKey(nats.manifests.natsStatefulSet)] && !(await knownValue(nats.kubernetes.passwordsDigest));
  const lookConnection = !known && anonymous ? natsConnection(config, {}) : nats.connection;
  const look: BusLook = creating ? { seen: "unknown" } : await lookAtBus(config, lookConnection);
  const unseen = unseenWarning(look, config.nats.servers);
  // Required in a preview (an `up` previews first too): the `up` itself of a stack that creates its
  // NATS cluster finds no bus yet, and its providers judge adoption and retirement again as they apply.
  if (unseen && look.seen === "unreachable" && busLookRequired(config) && pulumi.runtime.isDryRun()) {
    throw new StackConfigError([
      {
        key: "requireBusLook",
        reason: `${unseen}. A ${config.environment} stack's preview requires the look: run it from where the bus can be reached, or set event-bus:requireBusLook to "false" for this run (the first preview of a stack whose NATS cluster does not exist yet)`,
      },
    ]);
  }
  if (unseen) pulumi.log.warn(unseen);
  const step = judgePhaseStep(look.phases, config.migrationPhase, config.allowPhaseJump);
  if (step.error) throw new StackConfigError([{ key: "migrationPhase", reason: step.error }]);
  if (step.warning) pulumi.log.warn(step.warning);
  if (look.forcedRetirement) pulumi.log.warn(`${look.forcedRetirement}; event-bus:forceDelete retires it now, with what it still holds`);
  const legacyHold = look.legacyHold;
  if (legacyHold) pulumi.log.warn(`${legacyHold}; it stays in this phase until then (event-bus:retention.legacyQuietPeriod), and the next \`pulumi up\` after that retires it`);
  const bus = defineBus(nats, { legacyHold });
  // A preview explains the step in the bus's terms (components/plan).
  await printStepPlan(config, bus.topology, { manifests: nats.manifests, services: bus.services, canaryPercent: kubernetesConfigOf(config)?.canaryPercent }, look, lookConnection);
  return bus;
}
