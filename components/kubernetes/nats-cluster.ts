/**
 * The NATS cluster of a stack as plain manifests (after the official Helm chart): its
 * configuration, the headless and client Services, the StatefulSet with the exporter sidecar, and
 * the disruption budget. Pure; it takes only what the cluster needs.
 */
import { natsTlsVolume, serverTls, type NatsTls } from "./nats-tls";
import { createHash } from "node:crypto";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IService } from "kubernetes-models/v1/Service";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { NATS_EXPORTER } from "../monitoring/metrics";
import { NATS_EXPORTER_IMAGE, NATS_SERVER_IMAGE } from "../versions";
import type { KubernetesConfig } from "./kubernetes-config";
import { labels } from "./labels";
import { CLIENT_PORT, CLUSTER_PORT, MONITOR_PORT, PID_FILE, natsRoutes, renderNatsConf } from "./nats-conf";
import { credentialKey, type NatsUser } from "./nats-users";
import type { NatsLayout } from "./nats-layout";
import { PASSWORDS_DIR, PASSWORDS_SECRET } from "./nats-passwords";
import { CONTAINER_SECURITY_CONTEXT, restrictedPod, serviceAccount } from "./pod-security";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";

/** The labels of the NATS pods and objects, besides the layout's selector. */
const NATS_APP = "nats";

/**
 * How the Kubernetes plugin knows the NATS pods' roll is over, so that what comes after the cluster
 * (the streams, the services, a password's new slot) waits for it. The plugin's own StatefulSet
 * await (pulumi-kubernetes provider/pkg/await/statefulset.go) compares currentRevision with
 * updateRevision without checking status.observedGeneration, so the status it sees right after an
 * update, still the old revision's, already reads as rolled out (read in its source; here a
 * password change's up took 6 s, before the test's pods stopped in lame duck). Its
 * `pulumi.com/waitFor` JSONPath conditions do wait for the status to observe the new generation
 * (await/condition/jsonpath.go), then for every pod to run the new revision and be ready: the same
 * up takes 43 to 47 s, and no NATS pod is replaced after it (test/migration/secure-walk.kube.test.ts).
 */
export const WAIT_FOR_ANNOTATION = "pulumi.com/waitFor";
export const rolledOut = (replicas: number) => [`jsonpath={.status.updatedReplicas}=${replicas}`, `jsonpath={.status.readyReplicas}=${replicas}`];

/** The Secret holding a NATS user's password (key `password`); created by the Pulumi component. */
export const passwordSecretName = (u: Pick<NatsUser, "name" | "slot">) => `event-bus-nats-${credentialKey(u)}`;

export interface NatsClusterInput extends Pick<KubernetesConfig["nats"], "storageSize" | "storageClass" | "cpu" | "memory" | "routeAuthorization"> {
  namespace: string;
  /** Servers in the cluster. */
  replicas: number;
  /** One server per node, or none scheduled (production); otherwise spread when possible. */
  strictSpread: boolean;
  users: NatsUser[];
  /** The names, selector, claim template and store directory (the live cluster's, when taken over). */
  layout: NatsLayout;
  /** The user clients without credentials are signed in as; none: they are refused. */
  noAuthUser?: string;
  tls?: NatsTls;
}

export interface NatsClusterManifests {
  /** The cluster's routes (none with one server): routes.conf gives them with the route user's credentials. */
  natsRoutes: string[];
  /** Whether the servers require the route user's credentials, or only send them (kubernetes.nats.routeAuthorization). */
  natsRouteAuthorization: "require" | "offer";
  natsServiceAccount: IServiceAccount;
  natsConfig: IConfigMap;
  natsHeadless: IService;
  natsClient: IService;
  natsStatefulSet: IStatefulSet;
  natsDisruptionBudget: IPodDisruptionBudget;
}

export function renderNatsCluster(n: NatsClusterInput): NatsClusterManifests {
  const ns = n.namespace;
  const l = n.layout;
  const selector = l.selector;
  const natsLabels = { ...labels(NATS_APP, { app: NATS_APP }), ...selector };
  const conf = renderNatsConf({ name: l.statefulSet, headlessService: l.headlessService, storeDir: l.storeDir, clusterName: l.clusterName, replicas: n.replicas, storageSize: n.storageSize, users: n.users, noAuthUser: n.noAuthUser, tls: serverTls(n.tls) });
  const tls = natsTlsVolume(n.tls);
  // The NATS pods' own identity (the chart names its ServiceAccount after the release too).
  const natsServiceAccount = serviceAccount(l.statefulSet, ns, NATS_APP);
  const natsConfig: IConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: l.configMap, namespace: ns, labels: natsLabels },
    data: { "nats.conf": conf },
  };
  const natsHeadless: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: l.headlessService, namespace: ns, labels: natsLabels },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector,
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
    metadata: { name: l.clientService, namespace: ns, labels: natsLabels },
        // Clients only: the monitoring port (unauthenticated) is reached on the pods, by Prometheus.
    spec: { selector, ports: [{ name: "nats", port: CLIENT_PORT, targetPort: "nats" }] },
  };
  const natsStatefulSet: IStatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: l.statefulSet, namespace: ns, labels: natsLabels, annotations: { [WAIT_FOR_ANNOTATION]: JSON.stringify(rolledOut(n.replicas)) } },
    spec: {
      serviceName: l.headlessService,
      replicas: n.replicas,
      podManagementPolicy: "Parallel",
      // The volumes hold the streams: they outlive the StatefulSet and any scale-down.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: natsLabels, annotations: { "checksum/nats-config": createHash("sha256").update(conf).digest("hex") } },
        spec: {
          ...restrictedPod(natsServiceAccount.metadata!.name!),
          terminationGracePeriodSeconds: 60,
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: n.strictSpread ? "DoNotSchedule" : "ScheduleAnyway", labelSelector: { matchLabels: selector } },
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
              // No password reaches the server: nats.conf includes their hashes from a Secret (nats-passwords.ts).
              env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
              lifecycle: { preStop: { exec: { command: ["nats-server", `-sl=ldm=${PID_FILE}`] } } },
              startupProbe: { httpGet: { path: "/healthz", port: "monitor" }, initialDelaySeconds: 10, timeoutSeconds: 5, periodSeconds: 10, failureThreshold: 90 },
              readinessProbe: { httpGet: { path: "/healthz?js-server-only=true", port: "monitor" }, initialDelaySeconds: 10, timeoutSeconds: 5, periodSeconds: 10, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: "/healthz?js-enabled-only=true", port: "monitor" }, initialDelaySeconds: 10, timeoutSeconds: 5, periodSeconds: 30, failureThreshold: 3 },
              resources: { requests: { cpu: n.cpu, memory: n.memory }, limits: { memory: n.memory } },
              securityContext: CONTAINER_SECURITY_CONTEXT,
              volumeMounts: [
                { name: "config", mountPath: "/etc/nats-config" },
                { name: "passwords", mountPath: PASSWORDS_DIR, readOnly: true },
                { name: "pid", mountPath: "/var/run/nats" },
                { name: l.claimTemplate, mountPath: l.mountPath },
                ...tls.mounts,
              ],
            },
            {
              // JetStream stream and consumer state for Prometheus (components/monitoring/metrics.ts).
              name: NATS_EXPORTER.name,
              image: NATS_EXPORTER_IMAGE,
              args: [...NATS_EXPORTER.args, `http://localhost:${MONITOR_PORT}`],
              ports: [{ name: NATS_EXPORTER.portName, containerPort: NATS_EXPORTER.port }],
              resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
              securityContext: CONTAINER_SECURITY_CONTEXT,
            },
          ],
          volumes: [
            { name: "config", configMap: { name: l.configMap } },
            { name: "passwords", secret: { secretName: PASSWORDS_SECRET } },
            { name: "pid", emptyDir: {} },
            ...tls.volumes,
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: l.claimTemplate },
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
    metadata: { name: l.disruptionBudget, namespace: ns, labels: natsLabels },
    // A 3-node JetStream cluster keeps its quorum with one server down, never two.
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
  const routes = n.replicas > 1 ? natsRoutes({ name: l.statefulSet, headlessService: l.headlessService, replicas: n.replicas }) : [];
  return { natsRoutes: routes, natsRouteAuthorization: n.routeAuthorization, natsServiceAccount, natsConfig, natsHeadless, natsClient, natsStatefulSet, natsDisruptionBudget };
}
