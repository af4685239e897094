/**
 * Every Kubernetes object of a stack, as plain manifests computed from its configuration: the
 * NATS cluster (after the official Helm chart), the `event-bus-config` flags ConfigMap exactly as
 * the seeds list it, and the normalize and ingest Deployments. Pure: the Pulumi component
 * (event-bus-kubernetes.ts) creates them, `npm run render` writes them as YAML, and tests
 * validate them against the Kubernetes schema.
 */
import { createHash } from "node:crypto";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IService } from "kubernetes-models/v1/Service";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { parseDuration } from "../jetstream/durations";
import type { StackConfig } from "../config/stack-config";
import type { Topology } from "../topology/topology";
import { NATS_SERVER_IMAGE } from "../versions";
import { alertRules, type PrometheusRuleManifest } from "../monitoring/alert-rules";
import { dashboardConfigMap } from "../monitoring/dashboard";
import { NATS_EXPORTER } from "../monitoring/metrics";
import { NATS_EXPORTER_IMAGE } from "../versions";
import { DEFAULT_SERVICE_REPLICAS, type KubernetesConfig } from "./kubernetes-config";
import { CLIENT_PORT, CLUSTER_PORT, MONITOR_PORT, PID_FILE, renderNatsConf } from "./nats-conf";
import { natsUsers, type NatsUser } from "./nats-users";

export const NATS_NAME = "nats";
export const NATS_HEADLESS = "nats-headless";
export const FLAGS_CONFIGMAP = "event-bus-config";
export const INGEST_PORT = 4101;
export const NORMALIZE_PORT = 4102;
export const METRICS_PORT = 9464;

/** The Secret holding a NATS user's password (key `password`); created by the Pulumi component. */
export const passwordSecretName = (u: Pick<NatsUser, "name">) => `event-bus-nats-${u.name}`;

export interface KubernetesManifests {
  natsConfig: IConfigMap;
  natsHeadless: IService;
  natsClient: IService;
  natsStatefulSet: IStatefulSet;
  natsDisruptionBudget: IPodDisruptionBudget;
  flags: IConfigMap;
  deployments: IDeployment[];
  services: IService[];
  users: NatsUser[];
  /** The seeds' dashboard, for the Grafana sidecar. */
  dashboard: IConfigMap;
  /** The alert rules and what Prometheus scrapes, when the Prometheus operator runs (the default). */
  alerts?: PrometheusRuleManifest;
  podMonitors?: PodMonitorManifest[];
}

/** A Prometheus operator PodMonitor: which pods' port Prometheus scrapes. */
export interface PodMonitorManifest {
  apiVersion: "monitoring.coreos.com/v1";
  kind: "PodMonitor";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: Array<{ port: string; path: string; interval: string }> };
}

const labels = (app: string, extra: Record<string, string> = {}) => ({ "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "event-bus", ...extra });

/**
 * The seeds' `event-bus-config` data: only keys the services read (normalize-service binds by
 * EVENT_STREAM_MODE and finds its durables by trying streams, so no key says where they are).
 * A change of any of them rolls both Deployments; the migration phase alone changes none.
 */
export function flagsData(c: StackConfig): Record<string, string> {
  const ackWait = parseDuration(c.hrvConsumer.ackWait);
  return {
    EVENT_STREAM_MODE: c.mode,
    FEATURE_SERVICE_MANAGES_STREAMS: "false",
    FEATURE_SERVICE_MANAGES_CONSUMERS: "false",
    STREAM_CORE_NAME: c.streams.core,
    STREAM_VENDOR_NAME: c.streams.vendor,
    STREAM_DLQ_NAME: c.streams.dlq,
    STREAM_LEGACY_NAME: c.streams.legacy,
    NORMALIZE_HRV_DURABLE: c.hrvConsumer.durable,
    NORMALIZE_HRV_MAX_DELIVER: String(c.hrvConsumer.maxDeliver),
    NORMALIZE_HRV_DLQ_SUBJECT: c.hrvConsumer.dlqSubject,
    NORMALIZE_HRV_ACK_WAIT_MS: String("nanos" in ackWait ? ackWait.nanos / 1e6 : 60_000),
    HRV_BATCH_SIZE: String(c.pullLoop.batchSize),
    HRV_EXPIRES_MS: String(c.pullLoop.expiresMs),
    HRV_IDLE_BACKOFF_MS: String(c.pullLoop.idleBackoffMs),
    NATS_URL: `nats://${NATS_NAME}:${CLIENT_PORT}`,
  };
}

/** A digest of the flags: put on the pod templates, so a change of flags rolls the Deployments. */
export function flagsChecksum(data: Record<string, string>): string {
  const sorted = Object.keys(data).sort().map((k) => `${k}=${data[k]}`).join("\n");
  return createHash("sha256").update(sorted).digest("hex");
}

/**
 * How many normalize pods run stable and how many run the canary (multi mode). The share is
 * exact or refused: 10% of 3 pods would really be 33%.
 */
export function canarySplit(total: number, percent: number): { stable: number; canary: number } {
  const canary = (total * percent) / 100;
  if (!Number.isInteger(canary)) {
    throw new Error(
      `invalid stack configuration:\n  event-bus:kubernetes.canaryPercent: ${percent}% of ${total} normalize pods is ${canary} pods; expected a share that is a whole number of pods (set event-bus:kubernetes.normalize.replicas, e.g. 10)`,
    );
  }
  return { stable: total - canary, canary };
}

function serviceDeployment(
  k: KubernetesConfig,
  app: "normalize-service" | "ingest-service",
  spec: KubernetesConfig["normalize"],
  replicas: number,
  port: number,
  user: NatsUser,
  checksum: string,
  track?: "stable" | "canary",
  extraEnv: Array<{ name: string; value: string }> = [],
): IDeployment {
  const name = track === "canary" ? `${app}-canary` : app;
  // The selector never changes (Kubernetes refuses that): normalize's main Deployment is always
  // the stable track, with or without a canary beside it.
  const podLabels = labels(app, { app, ...(track ? { track } : {}) });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: k.namespace, labels: podLabels },
    spec: {
      replicas,
      selector: { matchLabels: { app, ...(track ? { track } : {}) } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: podLabels, annotations: { "checksum/event-bus-config": checksum } },
        spec: {
          containers: [
            {
              name: app,
              image: `${spec.image}:${spec.tag}`,
              ports: [
                { name: "http", containerPort: port },
                { name: "metrics", containerPort: METRICS_PORT },
              ],
              envFrom: [{ configMapRef: { name: FLAGS_CONFIGMAP } }],
              env: [
                { name: "NATS_USER", value: user.user },
                { name: "NATS_PASSWORD", valueFrom: { secretKeyRef: { name: passwordSecretName(user), key: "password" } } },
                ...(track === "canary" ? [{ name: "EVENT_STREAM_MODE", value: "multi" }] : []),
                ...extraEnv,
              ],
              readinessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: "/health", port: "http" }, initialDelaySeconds: 15, periodSeconds: 20, failureThreshold: 3 },
              resources: { requests: { cpu: spec.cpu, memory: spec.memory }, limits: { memory: spec.memory } },
            },
          ],
        },
      },
    },
  };
}

export function renderKubernetes(c: StackConfig, t: Topology, k: KubernetesConfig): KubernetesManifests {
  const ns = k.namespace;
  const natsReplicas = k.nats.replicas ?? (c.environment === "production" ? 3 : 1);
  const users = natsUsers(c);
  const natsLabels = labels(NATS_NAME, { app: NATS_NAME });
  const conf = renderNatsConf({ name: NATS_NAME, headlessService: NATS_HEADLESS, replicas: natsReplicas, storageSize: k.nats.storageSize, users });
  const natsConfig: IConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "nats-config", namespace: ns, labels: natsLabels },
    data: { "nats.conf": conf },
  };
  const natsHeadless: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: NATS_HEADLESS, namespace: ns, labels: natsLabels },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: { app: NATS_NAME },
      ports: [
        { name: "nats", port: CLIENT_PORT, targetPort: "nats" },
        { name: "cluster", port: CLUSTER_PORT, targetPort: "cluster" },
        { name: "monitor", port: MONITOR_PORT, targetPort: "monitor" },
      ],
    },
  };
  const natsClient: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: NATS_NAME, namespace: ns, labels: natsLabels },
    spec: { selector: { app: NATS_NAME }, ports: [{ name: "nats", port: CLIENT_PORT, targetPort: "nats" }, { name: "monitor", port: MONITOR_PORT, targetPort: "monitor" }] },
  };
  const natsStatefulSet: IStatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: NATS_NAME, namespace: ns, labels: natsLabels },
    spec: {
      serviceName: NATS_HEADLESS,
      replicas: natsReplicas,
      podManagementPolicy: "Parallel",
      selector: { matchLabels: { app: NATS_NAME } },
      template: {
        metadata: { labels: natsLabels, annotations: { "checksum/nats-config": createHash("sha256").update(conf).digest("hex") } },
        spec: {
          terminationGracePeriodSeconds: 60,
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: c.environment === "production" ? "DoNotSchedule" : "ScheduleAnyway", labelSelector: { matchLabels: { app: NATS_NAME } } },
          ],
          containers: [
            {
              name: "nats",
              image: NATS_SERVER_IMAGE,
              args: ["--config", "/etc/nats-config/nats.conf"],
              ports: [
                { name: "nats", containerPort: CLIENT_PORT },
                { name: "cluster", containerPort: CLUSTER_PORT },
                { name: "monitor", containerPort: MONITOR_PORT },
              ],
              env: [
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                ...users.map((u) => ({ name: u.passwordEnv, valueFrom: { secretKeyRef: { name: passwordSecretName(u), key: "password" } } })),
              ],
              lifecycle: { preStop: { exec: { command: ["nats-server", `-sl=ldm=${PID_FILE}`] } } },
              startupProbe: { httpGet: { path: "/healthz", port: "monitor" }, initialDelaySeconds: 10, timeoutSeconds: 5, periodSeconds: 10, failureThreshold: 90 },
              readinessProbe: { httpGet: { path: "/healthz?js-server-only=true", port: "monitor" }, initialDelaySeconds: 10, timeoutSeconds: 5, periodSeconds: 10, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: "/healthz?js-enabled-only=true", port: "monitor" }, initialDelaySeconds: 10, timeoutSeconds: 5, periodSeconds: 30, failureThreshold: 3 },
              resources: { requests: { cpu: k.nats.cpu, memory: k.nats.memory }, limits: { memory: k.nats.memory } },
              volumeMounts: [
                { name: "config", mountPath: "/etc/nats-config" },
                { name: "pid", mountPath: "/var/run/nats" },
                { name: "jetstream", mountPath: "/data" },
              ],
            },
            {
              // JetStream stream and consumer state for Prometheus (components/monitoring/metrics.ts).
              name: NATS_EXPORTER.name,
              image: NATS_EXPORTER_IMAGE,
              args: [...NATS_EXPORTER.args, `http://localhost:${MONITOR_PORT}`],
              ports: [{ name: NATS_EXPORTER.portName, containerPort: NATS_EXPORTER.port }],
              resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
            },
          ],
          volumes: [
            { name: "config", configMap: { name: "nats-config" } },
            { name: "pid", emptyDir: {} },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "jetstream" },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: k.nats.storageSize } },
            ...(k.nats.storageClass ? { storageClassName: k.nats.storageClass } : {}),
          },
        },
      ],
    },
  };
  const natsDisruptionBudget: IPodDisruptionBudget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: NATS_NAME, namespace: ns, labels: natsLabels },
    // A 3-node JetStream cluster keeps its quorum with one server down, never two.
    spec: { maxUnavailable: 1, selector: { matchLabels: { app: NATS_NAME } } },
  };

  const data = flagsData(c);
  const flags: IConfigMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: FLAGS_CONFIGMAP, namespace: ns, labels: labels("event-bus") }, data };
  const checksum = flagsChecksum(data);
  const byName = Object.fromEntries(users.map((u) => [u.name, u]));
  const normalizeTotal = k.normalize.replicas ?? DEFAULT_SERVICE_REPLICAS[c.environment];
  const ingestTotal = k.ingest.replicas ?? DEFAULT_SERVICE_REPLICAS[c.environment];
  const split = canarySplit(normalizeTotal, k.canaryPercent);
  const deployments: IDeployment[] =
    k.canaryPercent === 0
      ? [serviceDeployment(k, "normalize-service", k.normalize, normalizeTotal, NORMALIZE_PORT, byName.normalize, checksum, "stable")]
      : [
          serviceDeployment(k, "normalize-service", k.normalize, split.stable, NORMALIZE_PORT, byName.normalize, checksum, "stable"),
          serviceDeployment(k, "normalize-service", k.normalize, split.canary, NORMALIZE_PORT, byName.normalize, checksum, "canary"),
        ];
  // The seeds' ingest-service compares NEW_TOPOLOGY_PERCENTAGE with Math.random(): a fraction, despite its name.
  const newTopology = [{ name: "NEW_TOPOLOGY_PERCENTAGE", value: String(k.newTopologyPercent / 100) }];
  deployments.push(serviceDeployment(k, "ingest-service", k.ingest, ingestTotal, INGEST_PORT, byName.ingest, checksum, undefined, newTopology));
  const services: IService[] = [
    ["normalize-service", NORMALIZE_PORT],
    ["ingest-service", INGEST_PORT],
  ].map(([app, port]) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: String(app), namespace: ns, labels: labels(String(app)) },
    spec: {
      selector: { app: String(app) },
      ports: [
        { name: "http", port: Number(port), targetPort: "http" },
        { name: "metrics", port: METRICS_PORT, targetPort: "metrics" },
      ],
    },
  }));
  const dashboard = dashboardConfigMap(c, ns);
  if (!k.prometheusOperator) return { natsConfig, natsHeadless, natsClient, natsStatefulSet, natsDisruptionBudget, flags, deployments, services, users, dashboard };
  const podMonitor = (name: string, app: string, port: string): PodMonitorManifest => ({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name, namespace: ns, labels: labels(app) },
    spec: { selector: { matchLabels: { app } }, podMetricsEndpoints: [{ port, path: "/metrics", interval: "30s" }] },
  });
  const podMonitors = [
    podMonitor("nats", NATS_NAME, NATS_EXPORTER.portName),
    podMonitor("normalize-service", "normalize-service", "metrics"),
    podMonitor("ingest-service", "ingest-service", "metrics"),
  ];
  const alerts = alertRules(c, t, ns, k.canaryPercent);
  return { natsConfig, natsHeadless, natsClient, natsStatefulSet, natsDisruptionBudget, flags, deployments, services, users, dashboard, alerts, podMonitors };
}

/** Every manifest in apply order, for rendering and validation. */
export function allManifests(m: KubernetesManifests): Array<IConfigMap | IService | IStatefulSet | IPodDisruptionBudget | IDeployment | PrometheusRuleManifest | PodMonitorManifest> {
  return [m.natsConfig, m.natsHeadless, m.natsClient, m.natsStatefulSet, m.natsDisruptionBudget, m.flags, ...m.deployments, ...m.services, m.dashboard, ...(m.alerts ? [m.alerts] : []), ...(m.podMonitors ?? [])];
}
