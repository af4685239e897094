/**
 * The NATS cluster of a stack as plain manifests (after the official Helm chart): its
 * configuration, the headless and client Services, the StatefulSet with the exporter sidecar, and
 * the disruption budget. Pure; it takes only what the cluster needs.
 */
import { createHash } from "node:crypto";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IService } from "kubernetes-models/v1/Service";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { NATS_EXPORTER } from "../monitoring/metrics";
import { NATS_EXPORTER_IMAGE, NATS_SERVER_IMAGE } from "../versions";
import type { KubernetesConfig } from "./kubernetes-config";
import { labels } from "./labels";
import { CLIENT_PORT, CLUSTER_PORT, MONITOR_PORT, PID_FILE, renderNatsConf } from "./nats-conf";
import type { NatsUser } from "./nats-users";

export const NATS_NAME = "nats";
export const NATS_HEADLESS = "nats-headless";
export const NATS_CONFIG = "nats-config";

/** The Secret holding a NATS user's password (key `password`); created by the Pulumi component. */
export const passwordSecretName = (u: Pick<NatsUser, "name">) => `event-bus-nats-${u.name}`;

export interface NatsClusterInput extends Pick<KubernetesConfig["nats"], "storageSize" | "storageClass" | "cpu" | "memory"> {
  namespace: string;
  /** Servers in the cluster. */
  replicas: number;
  /** One server per node, or none scheduled (production); otherwise spread when possible. */
  strictSpread: boolean;
  users: NatsUser[];
}

export interface NatsClusterManifests {
  natsConfig: IConfigMap;
  natsHeadless: IService;
  natsClient: IService;
  natsStatefulSet: IStatefulSet;
  natsDisruptionBudget: IPodDisruptionBudget;
}

export function renderNatsCluster(n: NatsClusterInput): NatsClusterManifests {
  const ns = n.namespace;
  const natsLabels = labels(NATS_NAME, { app: NATS_NAME });
  const conf = renderNatsConf({ name: NATS_NAME, headlessService: NATS_HEADLESS, replicas: n.replicas, storageSize: n.storageSize, users: n.users });
  const natsConfig: IConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: NATS_CONFIG, namespace: ns, labels: natsLabels },
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
      replicas: n.replicas,
      podManagementPolicy: "Parallel",
      // The volumes hold the streams: they outlive the StatefulSet and any scale-down.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      selector: { matchLabels: { app: NATS_NAME } },
      template: {
        metadata: { labels: natsLabels, annotations: { "checksum/nats-config": createHash("sha256").update(conf).digest("hex") } },
        spec: {
          terminationGracePeriodSeconds: 60,
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: n.strictSpread ? "DoNotSchedule" : "ScheduleAnyway", labelSelector: { matchLabels: { app: NATS_NAME } } },
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
                ...n.users.map((u) => ({ name: u.passwordEnv, valueFrom: { secretKeyRef: { name: passwordSecretName(u), key: "password" } } })),
              ],
              lifecycle: { preStop: { exec: { command: ["nats-server", `-sl=ldm=${PID_FILE}`] } } },
              startupProbe: { httpGet: { path: "/healthz", port: "monitor" }, initialDelaySeconds: 10, timeoutSeconds: 5, periodSeconds: 10, failureThreshold: 90 },
              readinessProbe: { httpGet: { path: "/healthz?js-server-only=true", port: "monitor" }, initialDelaySeconds: 10, timeoutSeconds: 5, periodSeconds: 10, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: "/healthz?js-enabled-only=true", port: "monitor" }, initialDelaySeconds: 10, timeoutSeconds: 5, periodSeconds: 30, failureThreshold: 3 },
              resources: { requests: { cpu: n.cpu, memory: n.memory }, limits: { memory: n.memory } },
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
            { name: "config", configMap: { name: NATS_CONFIG } },
            { name: "pid", emptyDir: {} },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "jetstream" },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: n.storageSize } },
            ...(n.storageClass ? { storageClassName: n.storageClass } : {}),
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
  return { natsConfig, natsHeadless, natsClient, natsStatefulSet, natsDisruptionBudget };
}
