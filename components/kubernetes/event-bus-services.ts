import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { EventBusKubernetes } from "./event-bus-kubernetes";
import type { KubernetesManifests } from "./manifests";

export interface EventBusServicesArgs {
  /** The stack's manifests, from renderKubernetes() (components/kubernetes/manifests.ts). */
  manifests: KubernetesManifests;
  /** The NATS cluster: its password Secrets are mounted by the Deployments. */
  nats: EventBusKubernetes;
  provider?: k8s.Provider;
}

/**
 * What the services read and run: the flags ConfigMap, the service Deployments and Services, the
 * dashboard, alerts and scrape targets. The stack creates it after the streams and durables, so a
 * roll of the Deployments (a change of flags) comes after the durables are where the services
 * bind. Its objects once lived in EventBusKubernetes; the alias keeps them (no replace).
 */
export class EventBusServices extends pulumi.ComponentResource {
  constructor(name: string, args: EventBusServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-bus:index:Services", name, {}, opts);
    const m = args.manifests;
    const child = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
      parent: this,
      provider: args.provider,
      dependsOn,
      aliases: [{ parent: args.nats }],
    });
    const flags = new k8s.core.v1.ConfigMap(`${name}-flags`, m.flags as k8s.types.input.core.v1.ConfigMap, child());
    for (const d of m.deployments) {
      new k8s.apps.v1.Deployment(`${name}-${d.metadata!.name}`, d as k8s.types.input.apps.v1.Deployment, child([flags, ...args.nats.secrets]));
    }
    for (const s of m.services) new k8s.core.v1.Service(`${name}-${s.metadata!.name}`, s as k8s.types.input.core.v1.Service, child());
    new k8s.core.v1.ConfigMap(`${name}-dashboard`, m.dashboard as k8s.types.input.core.v1.ConfigMap, child());
    if (m.alerts) new k8s.apiextensions.CustomResource(`${name}-alerts`, m.alerts, child());
    for (const pm of m.podMonitors ?? []) new k8s.apiextensions.CustomResource(`${name}-${pm.metadata.name}-monitor`, pm, child());
    this.registerOutputs({});
  }
}
