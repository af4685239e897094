import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { EventBusTopology } from "../topology/event-bus-topology";
import { adoptKey, declared } from "./adoption";
import { leftoverEnv, leftoverEnvError } from "./leftover-env";
import { withPodAnnotations, type EventBusKubernetes } from "./event-bus-kubernetes";
import type { KubernetesManifests } from "./manifests";
import { credentialKey } from "./nats-users";
import { templateDigest } from "../plan/step-basis";

export interface EventBusServicesArgs {
  /** The stack's manifests, from renderKubernetes() (components/kubernetes/manifests.ts). */
  manifests: KubernetesManifests;
  /** The NATS cluster: its namespace, and the password Secrets the Deployments mount. */
  nats: EventBusKubernetes;
  /** The streams and durables: what each Deployment waits for. */
  bus: EventBusTopology;
  provider: k8s.Provider;
  /** Live objects taken over, by adoptKey (adoptionIds() in components/kubernetes/adoption.ts). */
  adopt?: Record<string, string>;
}

/**
 * What the services read and run: the flags ConfigMap, the service Deployments and Services, the
 * dashboard, alerts and scrape targets. Their order in a `pulumi up` is what keeps services that
 * bind once at startup whole:
 * - ingest-service waits only for the streams: it rolls as soon as the subjects are where its
 *   NEW_TOPOLOGY_PERCENTAGE sends them;
 * - the flags ConfigMap and normalize-service wait for the durables too: a durable that moves has
 *   been drained where it was and exists where it is going before a normalize pod starts again
 *   (a change of flags or of where a durable is rolls the pods).
 * Its objects once lived in EventBusKubernetes; the alias keeps them (no replace).
 */
export class EventBusServices extends pulumi.ComponentResource {
  /** Each Deployment's pod template digest, as applied (step-basis.ts): when it changes, the Deployment rolls. */
  readonly templates: Record<string, pulumi.Output<string>> = {};
  /** The Deployments: what the step basis waits for (a failed roll leaves the last up's record in place). */
  readonly deployments: k8s.apps.v1.Deployment[] = [];
  constructor(name: string, args: EventBusServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-bus:index:Services", name, {}, opts);
    const m = args.manifests;
    const streams = Object.values(args.bus.streams);
    const durables = [...streams, ...Object.values(args.bus.consumers)];
    const child = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
      parent: this,
      provider: args.provider,
      dependsOn: [args.nats.namespace, ...dependsOn],
      aliases: [{ parent: args.nats }],
    });
    const ids = args.adopt ?? {};
    const flags = new k8s.core.v1.ConfigMap(`${name}-flags`, ...declared(m.flags, ids, child(durables)));
    const accounts = m.serviceAccounts.map((a) => new k8s.core.v1.ServiceAccount(`${name}-${a.metadata!.name}`, ...declared(a, ids, child())));
    for (const d of m.deployments) {
      const after = [...(d.metadata!.name!.startsWith("ingest-service") ? streams : [flags, ...durables]), ...accounts];
      const adopted = ids[adoptKey(d)];
      if (adopted) {
        // A live Deployment taken over: env entries set by hand that shadow the flags stop the preview.
        const live = k8s.apps.v1.Deployment.get(`${name}-${d.metadata!.name}-live`, adopted, { parent: this, provider: args.provider });
        live.spec.template.spec.containers.apply((containers) => {
          const leftovers = leftoverEnv(containers ?? [], Object.keys(m.flags.data ?? {}), d.spec!.template.spec!.containers);
          if (leftovers.length) throw new Error(leftoverEnvError(d.metadata!.namespace!, d.metadata!.name!, leftovers));
        });
      }
      // A new password of the service's user rolls its pods (they read it once, from the Secret, at start).
      const service = d.metadata!.name!.startsWith("ingest-service") ? "ingest" : "normalize";
      const user = m.users.find((u) => u.name === service && !u.standby)!;
      const rolled = withPodAnnotations(d, { "checksum/nats-password": args.nats.passwordChecksums[credentialKey(user)] });
      this.deployments.push(new k8s.apps.v1.Deployment(`${name}-${d.metadata!.name}`, ...declared(rolled, ids, child([...after, ...args.nats.secrets]))));
      this.templates[d.metadata!.name!] = pulumi.output(rolled.spec!.template).apply(templateDigest);
    }
    for (const s of m.services) new k8s.core.v1.Service(`${name}-${s.metadata!.name}`, ...declared(s, ids, child()));
    new k8s.core.v1.ConfigMap(`${name}-dashboard`, ...declared(m.dashboard, ids, child()));
    if (m.alerts) new k8s.apiextensions.CustomResource(`${name}-alerts`, ...declared(m.alerts, ids, child()));
    for (const pm of m.podMonitors ?? []) new k8s.apiextensions.CustomResource(`${name}-${pm.metadata.name}-monitor`, ...declared(pm, ids, child()));
    this.registerOutputs({});
  }
}
