import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { passwordSecretName, type KubernetesManifests } from "./manifests";

export interface EventBusKubernetesArgs {
  /** The stack's manifests, from renderKubernetes() (components/kubernetes/manifests.ts). */
  manifests: KubernetesManifests;
  provider?: k8s.Provider;
}

/**
 * The NATS cluster, the flags ConfigMap and the service Deployments of one stack, with a
 * generated password per NATS user kept in a Kubernetes Secret and as a Pulumi secret. Only
 * wiring: every object is computed by renderKubernetes().
 */
export class EventBusKubernetes extends pulumi.ComponentResource {
  /** The password of each NATS user (admin, ingest, normalize); Pulumi secrets. */
  readonly passwords: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: EventBusKubernetesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-bus:index:Kubernetes", name, {}, opts);
    const m = args.manifests;
    const child = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({ parent: this, provider: args.provider, dependsOn });
    const namespace = m.flags.metadata!.namespace!;

    const secrets = m.users.map((u) => {
      const password = new random.RandomPassword(`${name}-nats-${u.name}-password`, { length: 32, special: false }, { parent: this });
      this.passwords[u.name] = password.result;
      return new k8s.core.v1.Secret(
        `${name}-${passwordSecretName(u)}`,
        { metadata: { name: passwordSecretName(u), namespace }, type: "Opaque", stringData: { password: password.result } },
        child(),
      );
    });
    const natsConfig = new k8s.core.v1.ConfigMap(`${name}-nats-config`, m.natsConfig as k8s.types.input.core.v1.ConfigMap, child());
    new k8s.core.v1.Service(`${name}-nats-headless`, m.natsHeadless as k8s.types.input.core.v1.Service, child());
    new k8s.core.v1.Service(`${name}-nats`, m.natsClient as k8s.types.input.core.v1.Service, child());
    new k8s.apps.v1.StatefulSet(`${name}-nats`, m.natsStatefulSet as k8s.types.input.apps.v1.StatefulSet, child([natsConfig, ...secrets]));
    new k8s.policy.v1.PodDisruptionBudget(`${name}-nats`, m.natsDisruptionBudget as k8s.types.input.policy.v1.PodDisruptionBudget, child());
    const flags = new k8s.core.v1.ConfigMap(`${name}-flags`, m.flags as k8s.types.input.core.v1.ConfigMap, child());
    for (const d of m.deployments) {
      new k8s.apps.v1.Deployment(`${name}-${d.metadata!.name}`, d as k8s.types.input.apps.v1.Deployment, child([flags, ...secrets]));
    }
    for (const s of m.services) new k8s.core.v1.Service(`${name}-${s.metadata!.name}`, s as k8s.types.input.core.v1.Service, child());
    new k8s.core.v1.ConfigMap(`${name}-dashboard`, m.dashboard as k8s.types.input.core.v1.ConfigMap, child());
    if (m.alerts) new k8s.apiextensions.CustomResource(`${name}-alerts`, m.alerts, child());
    for (const pm of m.podMonitors ?? []) new k8s.apiextensions.CustomResource(`${name}-${pm.metadata.name}-monitor`, pm, child());
    this.registerOutputs({});
  }
}
