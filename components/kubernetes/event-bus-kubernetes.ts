import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { KubernetesManifests } from "./manifests";
import { passwordSecretName } from "./nats-cluster";

export interface EventBusKubernetesArgs {
  /** The stack's manifests, from renderKubernetes() (components/kubernetes/manifests.ts). */
  manifests: KubernetesManifests;
  provider?: k8s.Provider;
}

/**
 * The NATS cluster of one stack, with a generated password per NATS user kept in a Kubernetes
 * Secret and as a Pulumi secret. The streams and durables come after it, the services
 * (EventBusServices) after them. Only wiring: every object is computed by renderKubernetes().
 */
export class EventBusKubernetes extends pulumi.ComponentResource {
  /** The password of each NATS user (admin, ingest, normalize); Pulumi secrets. */
  readonly passwords: Record<string, pulumi.Output<string>> = {};
  /** The users' password Secrets, which the service Deployments mount. */
  readonly secrets: k8s.core.v1.Secret[];

  constructor(name: string, args: EventBusKubernetesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-bus:index:Kubernetes", name, {}, opts);
    const m = args.manifests;
    const child = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({ parent: this, provider: args.provider, dependsOn });
    const namespace = m.flags.metadata!.namespace!;

    const secrets = (this.secrets = m.users.map((u) => {
      const password = new random.RandomPassword(`${name}-nats-${u.name}-password`, { length: 32, special: false }, { parent: this });
      this.passwords[u.name] = password.result;
      return new k8s.core.v1.Secret(
        `${name}-${passwordSecretName(u)}`,
        { metadata: { name: passwordSecretName(u), namespace }, type: "Opaque", stringData: { password: password.result } },
        child(),
      );
    }));
    const natsConfig = new k8s.core.v1.ConfigMap(`${name}-nats-config`, m.natsConfig as k8s.types.input.core.v1.ConfigMap, child());
    new k8s.core.v1.Service(`${name}-nats-headless`, m.natsHeadless as k8s.types.input.core.v1.Service, child());
    new k8s.core.v1.Service(`${name}-nats`, m.natsClient as k8s.types.input.core.v1.Service, child());
    new k8s.apps.v1.StatefulSet(`${name}-nats`, m.natsStatefulSet as k8s.types.input.apps.v1.StatefulSet, child([natsConfig, ...secrets]));
    new k8s.policy.v1.PodDisruptionBudget(`${name}-nats`, m.natsDisruptionBudget as k8s.types.input.policy.v1.PodDisruptionBudget, child());
    this.registerOutputs({});
  }
}
