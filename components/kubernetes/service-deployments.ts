/**
 * The services the seeds describe, normalize-service and ingest-service, as Deployments and
 * Services: how many pods, which run the canary (multi mode), the flags they read and the NATS
 * user each connects as. Pure; it takes only what the services need.
 */
import { serviceCaVolume, type NatsTls } from "./nats-tls";
import type { IService } from "kubernetes-models/v1/Service";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { DEFAULT_REPLICAS, type Environment } from "../config/stack-config";
import { FLAGS_CONFIGMAP, flagsChecksum } from "./flags";
import type { KubernetesConfig } from "./kubernetes-config";
import { labels } from "./labels";
import { passwordSecretName } from "./nats-cluster";
import { externalPasswordSecretName, type NatsUser } from "./nats-users";
import { CONTAINER_SECURITY_CONTEXT, restrictedPod, serviceAccount } from "./pod-security";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";

export const INGEST_PORT = 4101;
export const NORMALIZE_PORT = 4102;
export const METRICS_PORT = 9464;

export interface ServicesInput extends Pick<KubernetesConfig, "normalize" | "ingest" | "canaryPercent"> {
  namespace: string;
  /** Per durable normalize-service reads, the stream it is on (Topology.bindings): a change rolls normalize-service. */
  bindings: Record<string, string>;
  /** NEW_TOPOLOGY_PERCENTAGE for ingest-service (newTopologyFraction()): a change rolls ingest-service. */
  newTopology: 0 | 1;
  /** Sets the default pod count (DEFAULT_REPLICAS). */
  environment: Environment;
  users: NatsUser[];
  /** The flags (the `event-bus-config` ConfigMap's data). */
  flags: Record<string, string>;
  /** TLS of the NATS servers (kubernetes.nats.tls): the services trust its CA. */
  tls?: NatsTls;
}

/**
 * The pod-template annotation that says where normalize-service's durables are. normalize-service
 * binds its durables once, at startup, so when one moves the pods must start again: the change of
 * this annotation rolls them, after the move (the Deployment depends on the durables).
 */
export const DURABLES_ANNOTATION = "event-bus.athlete-ally/durables";
export const durablesAnnotation = (bindings: Record<string, string>) =>
  Object.keys(bindings)
    .sort()
    .map((k) => `${k}=${bindings[k]}`)
    .join(",");

/** The Secret a service's pods read their password from: its owner's when its slot is kept out of the stack (a hash given), else the stack's. */
export const servicePasswordSecretName = (u: NatsUser) => (u.hash ? externalPasswordSecretName(u) : passwordSecretName(u));

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

/**
 * How each service rolls. normalize-service one pod at a time: a new pod binds where its durables
 * are and the old ones drain theirs. ingest-service all at once: every new pod starts together and
 * is Ready within a probe period of 2 s, then the old ones go together, because between the
 * hand-over of the subjects (just before the roll) and the end of the roll, an old pod's publish
 * expecting the old stream is refused; the roll is that window.
 */
const ROLLS: Record<"normalize-service" | "ingest-service", { maxSurge: number | string; readinessPeriodSeconds: number }> = {
  "normalize-service": { maxSurge: 1, readinessPeriodSeconds: 10 },
  "ingest-service": { maxSurge: "100%", readinessPeriodSeconds: 2 },
};

function serviceDeployment(
  namespace: string,
  app: "normalize-service" | "ingest-service",
  spec: KubernetesConfig["normalize"],
  replicas: number,
  port: number,
  user: NatsUser,
  annotations: Record<string, string>,
  flags: { fromConfigMap: true } | { inline: Record<string, string> },
  more: { track?: "stable" | "canary"; extraEnv?: Array<{ name: string; value: string }>; ca: ReturnType<typeof serviceCaVolume> },
): IDeployment {
  const { track, extraEnv = [], ca } = more;
  const name = track === "canary" ? `${app}-canary` : app;
  // The selector never changes (Kubernetes refuses that), and it is the seeds' own (`app`), so
  // that their live Deployments are taken over as they are (event-bus:kubernetes.adopt). The
  // canary's pods match the stable Deployment's selector too; each ReplicaSet selects its own pods
  // by pod-template-hash and belongs to its Deployment, so neither takes the other's.
  const podLabels = labels(app, { app, ...(track ? { track } : {}) });
  const selector = { app, ...(track === "canary" ? { track } : {}) };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels: podLabels },
    spec: {
      replicas,
      selector: { matchLabels: selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: ROLLS[app].maxSurge } },
      template: {
        metadata: { labels: podLabels, annotations },
        spec: {
          ...restrictedPod(app),
          containers: [
            {
              name: app,
              image: `${spec.image}:${spec.tag}`,
              ports: [
                { name: "http", containerPort: port },
                { name: "metrics", containerPort: METRICS_PORT },
              ],
              ...("inline" in flags ? {} : { envFrom: [{ configMapRef: { name: FLAGS_CONFIGMAP } }] }),
              env: [
                ...("inline" in flags ? Object.entries(flags.inline).map(([name, value]) => ({ name, value })) : []),
                { name: "NATS_USER", value: user.user },
                { name: "NATS_PASSWORD", valueFrom: { secretKeyRef: { name: servicePasswordSecretName(user), key: "password" } } },
                ...(track === "canary" ? [{ name: "EVENT_STREAM_MODE", value: "multi" }] : []),
                ...extraEnv,
                ...ca.env,
              ],
              readinessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: ROLLS[app].readinessPeriodSeconds, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: "/health", port: "http" }, initialDelaySeconds: 15, periodSeconds: 20, failureThreshold: 3 },
              resources: { requests: { cpu: spec.cpu, memory: spec.memory }, limits: { memory: spec.memory } },
              securityContext: CONTAINER_SECURITY_CONTEXT,
              // The root filesystem is read-only: what a Node.js service writes goes to /tmp.
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...ca.mounts],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: {} }, ...ca.volumes],
        },
      },
    },
  };
}

export function renderServices(s: ServicesInput): { serviceAccounts: IServiceAccount[]; deployments: IDeployment[]; services: IService[] } {
  const ns = s.namespace;
  // Each service signs in with the slot it uses; a standby slot is only accepted by the servers.
  const byName = Object.fromEntries(s.users.filter((u) => !u.standby).map((u) => [u.name, u]));
  const normalizeTotal = s.normalize.replicas ?? DEFAULT_REPLICAS[s.environment];
  const ingestTotal = s.ingest.replicas ?? DEFAULT_REPLICAS[s.environment];
  const split = canarySplit(normalizeTotal, s.canaryPercent);
  // normalize-service reads the flags ConfigMap (a change rolls it, through the checksum) and
  // binds where its durables are (a move rolls it, through the annotation).
  const normalize = { "checksum/event-bus-config": flagsChecksum(s.flags), [DURABLES_ANNOTATION]: durablesAnnotation(s.bindings) };
  const fromConfigMap = { fromConfigMap: true } as const;
  // The CA the servers' certificate is signed by, when they speak TLS or are about to (nats-tls.ts).
  const ca = serviceCaVolume(s.tls);
  const deployments: IDeployment[] =
    s.canaryPercent === 0
      ? [serviceDeployment(ns, "normalize-service", s.normalize, normalizeTotal, NORMALIZE_PORT, byName.normalize, normalize, fromConfigMap, { track: "stable", ca })]
      : [
          serviceDeployment(ns, "normalize-service", s.normalize, split.stable, NORMALIZE_PORT, byName.normalize, normalize, fromConfigMap, { track: "stable", ca }),
          serviceDeployment(ns, "normalize-service", s.normalize, split.canary, NORMALIZE_PORT, byName.normalize, normalize, fromConfigMap, { track: "canary", ca }),
        ];
  // ingest-service gets the same flags written into its pod template, not from the ConfigMap: it
  // rolls as soon as the streams have their subjects (its expected stream follows them), without
  // waiting for durables to move and for the ConfigMap that comes after them.
  // The seeds' ingest-service compares NEW_TOPOLOGY_PERCENTAGE with Math.random(): a fraction, despite its name.
  const newTopology = [{ name: "NEW_TOPOLOGY_PERCENTAGE", value: String(s.newTopology) }];
  deployments.push(serviceDeployment(ns, "ingest-service", s.ingest, ingestTotal, INGEST_PORT, byName.ingest, {}, { inline: s.flags }, { extraEnv: newTopology, ca }));
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
  // Each service's own identity; the canary's pods are normalize-service's.
  const serviceAccounts = ["normalize-service", "ingest-service"].map((app) => serviceAccount(app, ns, app));
  return { serviceAccounts, deployments, services };
}
