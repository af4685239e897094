import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { adoptKey, declared } from "./adoption";
import { HANDED_OVER_ANNOTATION, undeclaredContainers, undeclaredContainersError } from "./foreign-fields";
import { labels } from "./labels";
import { RESTRICTED_NAMESPACE_LABELS } from "./pod-security";
import type { KubernetesManifests } from "./manifests";
import { passwordSecretName } from "./nats-cluster";
import { credentialKey } from "./nats-users";
import { PASSWORDS_FILE, PASSWORDS_SECRET, ROUTES_FILE, passwordHash, passwordsChecksum, renderPasswordsConf, renderRoutesConf } from "./nats-passwords";
import { confDifferences, describeConfDifferences, natsConfFacts } from "./nats-conf-facts";
import type { UserPasswords } from "../config/stack-config";

export interface EventBusKubernetesArgs {
  /** The stack's manifests, from renderKubernetes() (components/kubernetes/manifests.ts). */
  manifests: KubernetesManifests;
  /** The stack's Kubernetes provider (components/kubernetes/kubernetes-provider.ts). */
  provider: k8s.Provider;
  /** Create the namespace (true), or require that it exists (false: the preview fails first if not). */
  createNamespace: boolean;
  /**
   * Protect what can not come back as it was: the NATS StatefulSet (its volumes hold the streams),
   * the users' passwords and their Secrets (a new password locks out every client signed in with
   * the old one). Production sets it; `pulumi destroy` then refuses until it is lifted.
   */
  protect: boolean;
  /**
   * Users' current passwords, carried over from a live cluster (event-bus:natsUserPasswords), so
   * that clients signed in today keep working; the others are generated.
   */
  userPasswords?: UserPasswords;
  /** Live objects taken over, by adoptKey (adoptionIds() in components/kubernetes/adoption.ts). */
  adopt?: Record<string, string>;
}

/**
 * The NATS cluster of one stack, with a password per NATS user (generated, or carried over) kept in a Kubernetes
 * Secret and as a Pulumi secret. The streams and durables come after it, the services
 * (EventBusServices) after them. Only wiring: every object is computed by renderKubernetes().
 */
export class EventBusKubernetes extends pulumi.ComponentResource {
  /** The password of each NATS user the stack keeps (admin, unless its password is kept out of the stack; ingest, normalize); Pulumi secrets. */
  readonly passwords: Record<string, pulumi.Output<string>> = {};
  /** The users' password Secrets, which the service Deployments mount. */
  readonly secrets: k8s.core.v1.Secret[];
  /** A digest of each user's password hash (not secret): on the pod templates of the services that sign in as the user, so that a new password rolls them. */
  readonly passwordChecksums: Record<string, pulumi.Output<string>> = {};
  /** A digest of what the servers are given (not secret): not known in the preview of the update that makes the cluster's passwords, i.e. creates the cluster. */
  readonly passwordsDigest: pulumi.Output<string>;
  /** The namespace every object lives in: created with the stack, or read (so that a missing one fails the preview). */
  readonly namespace: k8s.core.v1.Namespace;

  constructor(name: string, args: EventBusKubernetesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-bus:index:Kubernetes", name, {}, opts);
    const m = args.manifests;
    const ns = m.flags.metadata!.namespace!;
    const provider = args.provider;
    this.namespace = args.createNamespace
      ? new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: ns, labels: { ...labels("event-bus"), ...RESTRICTED_NAMESPACE_LABELS } } }, { parent: this, provider })
      : k8s.core.v1.Namespace.get(`${name}-namespace`, ns, { parent: this, provider });
    const child = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({ parent: this, provider, dependsOn: [this.namespace, ...dependsOn] });
    const ids = args.adopt ?? {};
    // The anonymous user has no password (nats-server signs clients without credentials in as its no_auth_user only then).
    const signedIn = m.users.filter((u) => !u.passwordless);
    // A user whose password is kept out of the stack (kubernetes.nats.passwordHashes) has no Secret
    // here: the servers get its hash only (a service's pods read the Secret its owner made:
    // externalPasswordSecretName).
    const inStack = signedIn.filter((u) => !u.hash);
    // A user in the middle of a password rotation (two slots accepted) is not protected: the next
    // `up` retires one of its slots, password and Secret (kubernetes.nats.passwordSlots).
    const rotating = new Set(signedIn.filter((u) => u.standby).map((u) => u.name));
    this.secrets = inStack.map((u) => {
      const key = credentialKey(u);
      const protect = args.protect && !rotating.has(u.name);
      // A carried-over password is slot a's: the one the live clients use.
      const carried = u.name === "anonymous" || u.name === "preview" || u.name === "system" || u.slot ? undefined : args.userPasswords?.[u.name];
      const password = carried ?? new random.RandomPassword(`${name}-nats-${key}-password`, { length: 32, special: false }, { parent: this, protect }).result;
      this.passwords[key] = password;
      return new k8s.core.v1.Secret(
        `${name}-${passwordSecretName(u)}`,
        { metadata: { name: passwordSecretName(u), namespace: ns }, type: "Opaque", stringData: { password } },
        { ...child(), protect },
      );
    });
    // What the servers are given: each password's bcrypt hash, quoted, in a file of variables that
    // nats.conf includes (nats-passwords.ts); a changed password rolls the NATS pods (the digest
    // on their template), and the streams and durables, which come after this component, are
    // then managed with the new admin password only once every server has it.
    const saltKey = (user: string) => `${pulumi.getProject()}/${pulumi.getStack()}/${user}`;
    const hashes = signedIn.map((u) =>
      u.hash ? pulumi.output({ user: u, hash: u.hash }) : this.passwords[credentialKey(u)].apply((p) => ({ user: u, hash: passwordHash(p, saltKey(credentialKey(u))) })),
    );
    for (const [i, u] of signedIn.entries()) this.passwordChecksums[credentialKey(u)] = pulumi.unsecret(hashes[i].apply((h) => passwordsChecksum(h.hash)));
    const passwordsConf = pulumi.secret(pulumi.all(hashes).apply(renderPasswordsConf));
    // The servers' own user for routes (route authorization): generated, never carried over.
    const routePassword = new random.RandomPassword(`${name}-nats-route-password`, { length: 32, special: false }, { parent: this, protect: args.protect }).result;
    const routesConf = pulumi.secret(routePassword.apply((p) => renderRoutesConf(m.natsRoutes, p, m.natsRouteAuthorization)));
    const passwordsSecret = new k8s.core.v1.Secret(
      `${name}-${PASSWORDS_SECRET}`,
      { metadata: { name: PASSWORDS_SECRET, namespace: ns, labels: labels("nats") }, type: "Opaque", stringData: { [PASSWORDS_FILE]: passwordsConf, [ROUTES_FILE]: routesConf } },
      { ...child(), protect: args.protect },
    );
    const natsConfig = new k8s.core.v1.ConfigMap(`${name}-nats-config`, ...declared(m.natsConfig, ids, child()));
    const liveConfig = ids[adoptKey(m.natsConfig)];
    if (liveConfig) {
      // A live cluster taken over: its nats.conf beside the stack's, in the preview, before any NATS
      // pod rolls; what would lose the streams or the peers' identities stops it.
      const live = k8s.core.v1.ConfigMap.get(`${name}-nats-config-live`, liveConfig, { parent: this, provider });
      live.data.apply((data) => {
        if (!data?.["nats.conf"]) {
          pulumi.log.warn(`ConfigMap ${liveConfig} has no nats.conf: the live cluster's configuration could not be compared with the stack's`);
          return;
        }
        const differences = confDifferences(natsConfFacts(data["nats.conf"]), natsConfFacts(m.natsConfig.data!["nats.conf"]));
        if (!differences.length) return;
        const text = describeConfDifferences(liveConfig, differences);
        if (differences.some((d) => d.refused)) {
          throw new Error(`${text}\nAfter the roll the servers would not find their streams (store_dir) or their peers (cluster.name): describe the live cluster in event-bus:kubernetes.nats.layout (storeDir, clusterName, or preset helm-chart)`);
        }
        pulumi.log.warn(text);
      });
    }
    new k8s.core.v1.Service(`${name}-nats-headless`, ...declared(m.natsHeadless, ids, child()));
    new k8s.core.v1.Service(`${name}-nats`, ...declared(m.natsClient, ids, child()));
    const account = new k8s.core.v1.ServiceAccount(`${name}-nats`, ...declared(m.natsServiceAccount, ids, child()));
    const liveStatefulSet = ids[adoptKey(m.natsStatefulSet)];
    if (liveStatefulSet) {
      // A live StatefulSet taken over: containers another tool owns would stay in the pods (foreign-fields.ts).
      const live = k8s.apps.v1.StatefulSet.get(`${name}-nats-live`, liveStatefulSet, { parent: this, provider });
      pulumi.all([live.spec.template.spec.containers, live.metadata.annotations]).apply(([containers, annotations]) => {
        const extra = undeclaredContainers(containers ?? [], m.natsStatefulSet.spec!.template.spec!.containers);
        if (extra.length && annotations?.[HANDED_OVER_ANNOTATION] !== "true") throw new Error(undeclaredContainersError(ns, "apps/v1", "StatefulSet", m.natsStatefulSet.metadata!.name!, extra));
      });
    }
    this.passwordsDigest = pulumi.unsecret(pulumi.all([passwordsConf, routesConf]).apply(([a, b]) => passwordsChecksum(a + b)));
    const statefulSet = withPodAnnotations(m.natsStatefulSet, { "checksum/nats-passwords": this.passwordsDigest });
    // cert-manager issues the servers' TLS Secret from the stack's Certificate (kubernetes.nats.tls.certManager).
    const certificate = m.natsCertificate ? [new k8s.apiextensions.CustomResource(`${name}-nats-certificate`, ...declared(m.natsCertificate, ids, child()))] : [];
    new k8s.apps.v1.StatefulSet(`${name}-nats`, ...declared(statefulSet, ids, { ...child([natsConfig, account, passwordsSecret, ...certificate]), protect: args.protect }));
    new k8s.policy.v1.PodDisruptionBudget(`${name}-nats`, ...declared(m.natsDisruptionBudget, ids, child()));
    new k8s.networking.v1.NetworkPolicy(`${name}-nats`, ...declared(m.natsNetworkPolicy, ids, child()));
    this.registerOutputs({});
  }
}

/** A workload's manifest with more annotations on its pod template (values computed by Pulumi, such as a digest of a password). */
export function withPodAnnotations<T extends { spec?: { template: { metadata?: { annotations?: Record<string, string> } } } }>(o: T, annotations: Record<string, pulumi.Input<string>>): T {
  const template = o.spec!.template;
  return { ...o, spec: { ...o.spec, template: { ...template, metadata: { ...template.metadata, annotations: { ...template.metadata?.annotations, ...annotations } } } } } as T;
}
