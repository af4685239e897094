/**
 * Every Kubernetes object of a stack, as plain manifests computed from its configuration, put
 * together from the three concerns: the NATS cluster (nats-cluster.ts), the flags the services
 * read (flags.ts) and the services themselves (service-deployments.ts), plus the dashboard,
 * alerts and scrape targets. Pure: the Pulumi components create them, `npm run render` writes
 * them as YAML, and tests apply them to a real control plane.
 */
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IService } from "kubernetes-models/v1/Service";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { renderNatsNetworkPolicy } from "./network-policy";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { DEFAULT_REPLICAS, type StackConfig } from "../config/stack-config";
import { alertRules, type PrometheusRuleManifest } from "../monitoring/alert-rules";
import { dashboardConfigMap } from "../monitoring/dashboard";
import { NATS_EXPORTER } from "../monitoring/metrics";
import { newTopologyFraction } from "../topology/catalogue";
import type { Topology } from "../topology/topology";
import { flagsData, renderFlags } from "./flags";
import type { KubernetesConfig } from "./kubernetes-config";
import { labels } from "./labels";
import { renderNatsCluster, type NatsClusterManifests } from "./nats-cluster";
import { natsClientUrl, natsLayout } from "./nats-layout";
import { CLIENT_PORT } from "./nats-conf";
import { ANONYMOUS_USER, natsUsers, type NatsUser } from "./nats-users";
import { CATALOGUE } from "../topology/catalogue";
import { renderServices } from "./service-deployments";
import { certificateNames, renderCertificate, type CertificateManifest } from "./nats-tls";

export interface KubernetesManifests extends NatsClusterManifests {
  /** Who may reach the NATS pods (network-policy.ts). */
  natsNetworkPolicy: INetworkPolicy;
  /** The cert-manager Certificate that issues the servers' TLS Secret, when cert-manager does (nats-tls.ts). */
  natsCertificate?: CertificateManifest;
  flags: IConfigMap;
  /** The services' own ServiceAccounts (pod-security.ts). */
  serviceAccounts: IServiceAccount[];
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

export function renderKubernetes(c: StackConfig, t: Topology, k: KubernetesConfig): KubernetesManifests {
  const namespace = k.namespace;
  const anonymous = k.nats.anonymousClients === "allow";
  const users = natsUsers(c, CATALOGUE, { anonymous, hashes: k.nats.passwordHashes, slots: k.nats.passwordSlots });
  const layout = natsLayout(k.nats.layout);
  const nats = renderNatsCluster({ ...k.nats, layout, noAuthUser: anonymous ? ANONYMOUS_USER.user : undefined, namespace, replicas: k.nats.replicas ?? DEFAULT_REPLICAS[c.environment], strictSpread: c.environment === "production", users });
  const data = flagsData(c, natsClientUrl(layout, CLIENT_PORT));
  const apps = renderServices({ ...k, namespace, environment: c.environment, users, flags: data, bindings: t.bindings, newTopology: newTopologyFraction(t.phase), tls: k.nats.tls });
  const natsNetworkPolicy = renderNatsNetworkPolicy({ namespace, layout, clientApps: apps.deployments.map((d) => d.spec!.selector.matchLabels!.app), clients: k.networkPolicy.clients, prometheus: k.networkPolicy.prometheus, anonymousClients: anonymous });
  const tls = k.nats.tls;
  const natsCertificate = tls && renderCertificate(namespace, tls, certificateNames(namespace, { client: layout.clientService, headless: layout.headlessService }, c.nats.servers), labels("nats"));
  const manifests = { ...nats, natsNetworkPolicy, ...(natsCertificate ? { natsCertificate } : {}), flags: renderFlags(namespace, data), ...apps, users, dashboard: dashboardConfigMap(c, namespace) };
  if (!k.prometheusOperator) return manifests;
  const podMonitor = (name: string, app: string, port: string, selector: Record<string, string> = { app }): PodMonitorManifest => ({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name, namespace, labels: labels(app, k.prometheusLabels) },
    spec: { selector: { matchLabels: selector }, podMetricsEndpoints: [{ port, path: "/metrics", interval: "30s" }] },
  });
  const podMonitors = [
    podMonitor("nats", "nats", NATS_EXPORTER.portName, layout.selector),
    podMonitor("normalize-service", "normalize-service", "metrics"),
    podMonitor("ingest-service", "ingest-service", "metrics"),
  ];
  return { ...manifests, alerts: alertRules(c, t, { namespace, canaryPercent: k.canaryPercent, runbookUrl: k.runbookUrl, labels: k.prometheusLabels }), podMonitors };
}

/** Every manifest in apply order, for rendering and validation. */
export function allManifests(m: KubernetesManifests): Array<IServiceAccount | INetworkPolicy | IConfigMap | IService | IStatefulSet | IPodDisruptionBudget | IDeployment | PrometheusRuleManifest | PodMonitorManifest | CertificateManifest> {
  return [m.natsServiceAccount, m.natsConfig, m.natsHeadless, m.natsClient, m.natsStatefulSet, m.natsDisruptionBudget, m.natsNetworkPolicy, ...(m.natsCertificate ? [m.natsCertificate] : []), m.flags, ...m.serviceAccounts, ...m.deployments, ...m.services, m.dashboard, ...(m.alerts ? [m.alerts] : []), ...(m.podMonitors ?? [])];
}
