/**
 * The services the seeds describe, normalize-service and ingest-service, as Deployments and
 * Services: how many pods, which run the canary (multi mode), the flags they read and the NATS
 * user each connects as. Pure; it takes only what the services need.
 */
import type { IService } from "kubernetes-models/v1/Service";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { DEFAULT_REPLICAS, type Environment } from "../config/stack-config";
import { FLAGS_CONFIGMAP } from "./flags";
import type { KubernetesConfig } from "./kubernetes-config";
import { labels } from "./labels";
import { passwordSecretName } from "./nats-cluster";
import type { NatsUser } from "./nats-users";

export const INGEST_PORT = 4101;
export const NORMALIZE_PORT = 4102;
export const METRICS_PORT = 9464;

export interface ServicesInput extends Pick<KubernetesConfig, "normalize" | "ingest" | "canaryPercent" | "newTopologyPercent"> {
  namespace: string;
  /** Sets the default pod count (DEFAULT_REPLICAS). */
  environment: Environment;
  users: NatsUser[];
  /** The flags' digest: a change rolls the pods. */
  flagsChecksum: string;
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
  namespace: string,
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
    metadata: { name, namespace, labels: podLabels },
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

export function renderServices(s: ServicesInput): { deployments: IDeployment[]; services: IService[] } {
  const ns = s.namespace;
  const byName = Object.fromEntries(s.users.map((u) => [u.name, u]));
  const normalizeTotal = s.normalize.replicas ?? DEFAULT_REPLICAS[s.environment];
  const ingestTotal = s.ingest.replicas ?? DEFAULT_REPLICAS[s.environment];
  const split = canarySplit(normalizeTotal, s.canaryPercent);
  const deployments: IDeployment[] =
    s.canaryPercent === 0
      ? [serviceDeployment(ns, "normalize-service", s.normalize, normalizeTotal, NORMALIZE_PORT, byName.normalize, s.flagsChecksum, "stable")]
      : [
          serviceDeployment(ns, "normalize-service", s.normalize, split.stable, NORMALIZE_PORT, byName.normalize, s.flagsChecksum, "stable"),
          serviceDeployment(ns, "normalize-service", s.normalize, split.canary, NORMALIZE_PORT, byName.normalize, s.flagsChecksum, "canary"),
        ];
  // The seeds' ingest-service compares NEW_TOPOLOGY_PERCENTAGE with Math.random(): a fraction, despite its name.
  const newTopology = [{ name: "NEW_TOPOLOGY_PERCENTAGE", value: String(s.newTopologyPercent / 100) }];
  deployments.push(serviceDeployment(ns, "ingest-service", s.ingest, ingestTotal, INGEST_PORT, byName.ingest, s.flagsChecksum, undefined, newTopology));
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
  return { deployments, services };
}
