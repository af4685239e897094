/**
 * How a NATS cluster is laid out on Kubernetes: the names of its objects, the labels its pods are
 * selected by, its volume claim template and the directory JetStream stores in. A StatefulSet's
 * selector, claim template and service name can not change in place, and the store directory,
 * cluster name and server names hold the JetStream data and peer identities; so a stack that takes
 * over a live cluster (event-bus:kubernetes.adopt) describes it as it is. Two presets:
 * - `event-bus`: what this stack makes when it creates the cluster;
 * - `helm-chart`: what the official NATS Helm chart (nats-io/k8s, chart 1.x and 2.x) makes for a
 *   release, read from its templates (`nats.fullname`, `nats.defaultValues`, the StatefulSet, the
 *   Services, config/jetstream.yaml and config/cluster.yaml);
 * and each name may be given by itself, for a cluster made by hand. Pure.
 */

export interface NatsLayout {
  statefulSet: string;
  headlessService: string;
  /** The client Service: what the services' NATS_URL names. */
  clientService: string;
  configMap: string;
  disruptionBudget: string;
  /** The StatefulSet's volume claim template (the JetStream volume of each pod: `<claimTemplate>-<pod>`). */
  claimTemplate: string;
  /** Where the claim is mounted in the NATS container. */
  mountPath: string;
  /** nats.conf's `store_dir`; nats-server keeps its streams in `<storeDir>/jetstream`. */
  storeDir: string;
  /** nats.conf's `cluster.name`. */
  clusterName: string;
  /** The labels the StatefulSet, the Services and the disruption budget select the NATS pods by. */
  selector: Record<string, string>;
}

/** What the stack makes when it creates the cluster. */
export const EVENT_BUS_LAYOUT: NatsLayout = {
  statefulSet: "nats",
  headlessService: "nats-headless",
  clientService: "nats",
  configMap: "nats-config",
  disruptionBudget: "nats",
  claimTemplate: "jetstream",
  mountPath: "/data",
  storeDir: "/data/jetstream",
  clusterName: "nats",
  selector: { app: "nats" },
};

/** The chart's name (`.Chart.Name`), which its labels and names are made of. */
const CHART = "nats";

/**
 * The chart's `nats.fullname`: the override, else the release name when it contains the chart's
 * name, else `<release>-nats`; at most 63 characters, no trailing '-'.
 */
export function helmFullname(release: string, fullnameOverride?: string): string {
  const name = fullnameOverride ?? (release.includes(CHART) ? release : `${release}-${CHART}`);
  return name.slice(0, 63).replace(/-+$/, "");
}

/** What the official chart makes for a release with its default values (config.jetstream.fileStore.dir /data, the claim `<fullname>-js`). */
export function helmChartLayout(release: string, fullnameOverride?: string): NatsLayout {
  const full = helmFullname(release, fullnameOverride);
  return {
    statefulSet: full,
    headlessService: `${full}-headless`,
    clientService: full,
    configMap: `${full}-config`,
    disruptionBudget: full,
    claimTemplate: `${full}-js`,
    mountPath: "/data",
    storeDir: "/data",
    clusterName: full,
    selector: { "app.kubernetes.io/component": "nats", "app.kubernetes.io/instance": release, "app.kubernetes.io/name": CHART },
  };
}

/** The `kubernetes.nats.layout` key: a preset and the names that differ from it. */
export interface NatsLayoutConfig extends Partial<NatsLayout> {
  preset: "event-bus" | "helm-chart";
  /** The Helm release the chart was installed as (the `helm-chart` preset). */
  helmRelease?: string;
  /** The chart's `fullnameOverride`, when the release set one. */
  fullnameOverride?: string;
}

/** The layout a configuration describes: its preset, with each name it gives instead. */
export function natsLayout(c: NatsLayoutConfig): NatsLayout {
  const { preset, helmRelease, fullnameOverride, ...given } = c;
  const base = preset === "helm-chart" ? helmChartLayout(helmRelease!, fullnameOverride) : EVENT_BUS_LAYOUT;
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<NatsLayout>;
  return { ...base, ...set };
}

/** The client URL the services reach the cluster at, inside its namespace. */
export const natsClientUrl = (l: Pick<NatsLayout, "clientService">, port: number) => `nats://${l.clientService}:${port}`;
