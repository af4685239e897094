/**
 * The `kubernetes` key of the stack configuration: namespace, NATS sizing, service images,
 * the normalize canary. Defaults follow the environment (1 replica in staging, 3 in production).
 */
import { z } from "zod";
import { PREVIEW_USER } from "../jetstream/identity";
import { externalPasswordSecretName, PASSWORD_SLOTS, SLOTTED_USERS, slotsOf, type PasswordSlots } from "./nats-users";
import type { StackConfig } from "../config/stack-config";
import { formatPath } from "../jetstream/validation";
import { newTopologyFraction } from "../topology/catalogue";

const quantity = (what: string) => z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|m)?$/, { error: `expected ${what} as a Kubernetes quantity such as "10Gi" or "500m"` });
const image = z.string().regex(/^[a-z0-9./_:-]+$/, { error: "expected an image reference such as ghcr.io/athlete-ally/normalize-service" });
const tag = z.string().regex(/^[\w][\w.-]{0,127}$/, { error: "expected an image tag such as 1.4.2" });

const objectName = (what: string) => z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: `expected ${what} as a Kubernetes object name (lower-case letters, digits, '-')` }).max(63);

/** Kubernetes labels: keys with an optional DNS prefix and a name of 63 characters at most, values of 63 at most. */
const LABEL_KEY = /^([a-z0-9.-]{1,253}\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelMap = z
  .record(z.string(), z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, { error: "expected a label value (up to 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit)" }))
  .superRefine((m, ctx) => {
    for (const key of Object.keys(m)) {
      if (!LABEL_KEY.test(key)) ctx.addIssue({ code: "custom", path: [key], message: "expected a label key (an optional DNS prefix and /, then a name of up to 63 letters, digits, '-', '_', '.')" });
    }
  });

/** `kubernetes.nats.layout`: how the live NATS cluster is laid out, when the stack takes one over (nats-layout.ts). */
const layoutSchema = z
  .strictObject({
    preset: z.enum(["event-bus", "helm-chart"], { error: 'expected preset "event-bus" (what this stack makes) or "helm-chart" (what the official NATS Helm chart makes)' }).default("event-bus"),
    helmRelease: objectName("helmRelease").optional(),
    fullnameOverride: objectName("fullnameOverride").optional(),
    statefulSet: objectName("statefulSet").optional(),
    headlessService: objectName("headlessService").optional(),
    clientService: objectName("clientService").optional(),
    configMap: objectName("configMap").optional(),
    disruptionBudget: objectName("disruptionBudget").optional(),
    claimTemplate: objectName("claimTemplate").optional(),
    mountPath: z.string().regex(/^\/[^\s]*$/, { error: "expected mountPath as an absolute path such as /data" }).optional(),
    storeDir: z.string().regex(/^\/[^\s"]*$/, { error: "expected storeDir as an absolute path such as /data (nats-server stores in <storeDir>/jetstream)" }).optional(),
    clusterName: z.string().regex(/^[A-Za-z0-9_-]+$/, { error: "expected clusterName as nats.conf's cluster name (letters, digits, '-', '_')" }).optional(),
    selector: labelMap.optional(),
  })
  .superRefine((l, ctx) => {
    if (l.preset === "helm-chart" && !l.helmRelease) ctx.addIssue({ code: "custom", path: ["helmRelease"], message: 'expected helmRelease (the release the chart was installed as, e.g. "staging-nats") with preset "helm-chart"' });
    if (l.preset !== "helm-chart" && (l.helmRelease || l.fullnameOverride)) ctx.addIssue({ code: "custom", path: ["preset"], message: 'expected preset "helm-chart" with helmRelease or fullnameOverride' });
    if (l.storeDir && l.mountPath && !(l.storeDir === l.mountPath || l.storeDir.startsWith(`${l.mountPath.replace(/\/$/, "")}/`))) {
      ctx.addIssue({ code: "custom", path: ["storeDir"], message: `expected storeDir inside mountPath ${l.mountPath}: outside it the streams would not be on the volume` });
    }
  });

const serviceSchema = z.strictObject({
  image,
  tag,
  replicas: z.number().int().min(0).max(100).optional(),
  cpu: quantity("cpu").default("250m"),
  memory: quantity("memory").default("256Mi"),
});

const labelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(z.strictObject({ key: z.string(), operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]), values: z.array(z.string()).optional() })).optional(),
});
/** A NetworkPolicy peer: pods by their labels, in namespaces by theirs (Kubernetes' NetworkPolicyPeer). */
const networkPeer = z.strictObject(
  {
    podSelector: labelSelector.optional(),
    namespaceSelector: labelSelector.optional(),
    ipBlock: z.strictObject({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
  },
  { error: "expected a NetworkPolicy peer: { podSelector, namespaceSelector } or { ipBlock: { cidr } }" },
);
/** Where the Prometheus of kube-prometheus-stack runs, by default: its pods, in any namespace. */
const PROMETHEUS_PEERS = [{ namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }];

const bcryptHash = (user: string) =>
  z.string().regex(/^\$2[abxy]\$(1[0-9]|2[0-9]|3[01])\$[./A-Za-z0-9]{53}$/, {
    error: `expected the bcrypt hash of the ${user} password, cost 10 or more (what \`npm run nats-password\` or \`nats server passwd\` prints, such as $2a$11$...)`,
  });

const passwordSlots = (user: string) =>
  z.enum(PASSWORD_SLOTS, {
    error: `expected the ${user} password's slots: "a" or "b" (the slot the servers accept and the service uses), or "a>b" / "b>a" (the servers accept both, the service moves to the second; the next up retires the first)`,
  });

export const kubernetesSchema = z.strictObject({
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "expected a namespace name (lower-case letters, digits, '-')" }),
  nats: z
    .strictObject({
      replicas: z.number().int().refine((n) => n === 1 || n === 3 || n === 5, { error: "expected 1, 3 or 5 NATS servers (a JetStream cluster needs an odd size)" }).optional(),
      storageSize: quantity("storageSize").default("10Gi"),
      storageClass: z.string().min(1).optional(),
      cpu: quantity("cpu").default("500m"),
      memory: quantity("memory").default("1Gi"),
      layout: layoutSchema.default({ preset: "event-bus" }),
      /**
       * Clients that connect without credentials: "allow" signs them in as event-bus-anonymous with
       * the permissions every client had on a bus without authorization (the first stage of taking
       * over such a bus; `npm run anonymous-clients` lists who still does), "deny" refuses them.
       */
      anonymousClients: z.enum(["allow", "deny"], { error: 'expected anonymousClients "allow" (clients without credentials keep working, as event-bus-anonymous) or "deny"' }).default("deny"),
      /**
       * Route authorization (nats-passwords.ts): "require" (servers accept routes only from the
       * route user), or "offer" (routes carry the route user's credentials, servers do not yet
       * require them): the first stage of taking over a cluster whose routes have none, so that
       * during the NATS pods' roll old and new servers keep routing to each other; "require" then
       * follows in a later `up`, one more roll, every server already sending the credentials.
       */
      routeAuthorization: z.enum(["require", "offer"], { error: 'expected routeAuthorization "require" or "offer" (the first stage of taking over a cluster whose routes have no credentials)' }).default("require"),
      /**
       * The bcrypt hashes of the passwords kept out of the stack (`npm run nats-password` makes a
       * password and its hash): `admin`, whose password only the `up`'s environment holds
       * (event-bus:nats.passwordEnv), and `preview`, the read-only user previews sign in as
       * (event-bus:nats.preview). The servers get the hashes; the stack never sees the passwords.
       */
      /**
       * TLS for clients and routes (nats-tls.ts), from a `kubernetes.io/tls` Secret in the
       * namespace (tls.crt, tls.key, ca.crt; cert-manager's Certificate makes one). `stage`
       * "trust" first gives the services the CA under running servers; "on" turns TLS on.
       * The providers trust the CA through event-bus:nats.tls.ca.
       */
      tls: z
        .strictObject({
          secretName: objectName("tls.secretName"),
          stage: z.enum(["trust", "offer", "on"], { error: 'expected stage "trust" (the services get the CA; the servers do not change yet), "offer" (the servers offer TLS and still take plain clients) or "on"' }).default("on"),
          routes: z.boolean({ error: "expected routes to be true (TLS on the routes too) or false" }).default(true),
          /** cert-manager issues the Secret: the stack writes a Certificate (nats-tls.ts: renderCertificate) that names this issuer. */
          certManager: z
            .strictObject({
              issuer: objectName("certManager.issuer"),
              kind: z.enum(["Issuer", "ClusterIssuer"], { error: 'expected kind "Issuer" (in the namespace) or "ClusterIssuer"' }).default("ClusterIssuer"),
            })
            .optional(),
        })
        .optional(),
      /**
       * A service user's password change that locks nobody out (nats-users.ts: slotsOf): "a" (the
       * default) or "b", the one slot the servers accept; "a>b" (or "b>a") in the `up` that rolls
       * the servers to accept both and then the service onto the new slot's new password, then
       * "b" (or "a") in the next, which retires the old one. Never straight from "a" to "b".
       */
      passwordSlots: z
        .strictObject({
          /** The providers' (nats-users.ts: slotsOf): "a>b" teaches the servers b while this `up` still signs in with a; the deploy secret then changes, and "b" signs in with b. */
          admin: passwordSlots("admin").optional(),
          ingest: passwordSlots("ingest").optional(),
          normalize: passwordSlots("normalize").optional(),
        })
        .optional(),
      passwordHashes: z
        .strictObject({
          admin: bcryptHash("admin").optional(),
          /** The admin's slot b (`event-bus-admin-b`: kubernetes.nats.passwordSlots.admin). */
          "admin-b": bcryptHash("admin (slot b)").optional(),
          preview: bcryptHash("preview").optional(),
          /** The system account's user (`event-bus-system`), for people's server reports (`nats server report jetstream`); no account without it. */
          system: bcryptHash("system").optional(),
          /**
           * A service's slot kept out of the stack (nats-users.ts: externalPasswordSecretName): the
           * servers get this hash, the service reads the password from a Secret its owner made, and
           * neither the state nor a preview holds it. Set it for the slot a rotation moves to.
           */
          ingest: bcryptHash("ingest").optional(),
          "ingest-b": bcryptHash("ingest (slot b)").optional(),
          normalize: bcryptHash("normalize").optional(),
          "normalize-b": bcryptHash("normalize (slot b)").optional(),
        })
        .optional(),
    })
    .default({ storageSize: "10Gi", cpu: "500m", memory: "1Gi", layout: { preset: "event-bus" }, anonymousClients: "deny", routeAuthorization: "require" }),
  normalize: serviceSchema,
  ingest: serviceSchema,
  /** The seeds' production cutover: this share of normalize pods runs EVENT_STREAM_MODE=multi. */
  canaryPercent: z.union([z.literal(0), z.literal(10), z.literal(50), z.literal(100)], { error: "expected canaryPercent 0, 10, 50 or 100" }).default(0),
  /**
   * The seeds' NEW_TOPOLOGY_PERCENTAGE for ingest-service, which publishes each core event
   * expecting the stream it picks. The stack sets it from the phase (0 while the legacy stream
   * captures the core subjects, 100 once the core stream does; newTopologyFraction()): any other
   * share makes publishes fail. Given here, it must be that value.
   */
  newTopologyPercent: z.number({ error: "expected newTopologyPercent as a number from 0 to 100" }).min(0, { error: "expected newTopologyPercent from 0 to 100" }).max(100, { error: "expected newTopologyPercent from 0 to 100" }).optional(),
  /**
   * Create the namespace with the stack (and delete it with it). Off: the namespace must exist,
   * and the preview fails first if it does not.
   */
  createNamespace: z.boolean({ error: "expected createNamespace to be true or false" }).default(false),
  /**
   * Live objects to take over instead of creating them, by kind and name (`StatefulSet/nats`,
   * `Deployment/normalize-service`, `ConfigMap/event-bus-config`): the plugin imports each one and
   * updates it in place (components/kubernetes/adoption.ts).
   */
  adopt: z.array(z.string({ error: "expected a kind and a name such as \"StatefulSet/nats\"" })).default([]),
  /**
   * Who may reach the NATS pods (network-policy.ts): `clients` are peers allowed on the client port
   * besides the services' pods (the operators' tools, another namespace; the machine that runs
   * `pulumi up` through `kubectl port-forward` needs none); `prometheus` where Prometheus runs.
   */
  networkPolicy: z
    .strictObject({
      clients: z.array(networkPeer).default([]),
      prometheus: z.array(networkPeer).default(PROMETHEUS_PEERS),
    })
    .default({ clients: [], prometheus: PROMETHEUS_PEERS }),
  /** The kubeconfig context the Kubernetes provider uses (the kubeconfig comes from KUBECONFIG, as for kubectl); its current context if not set. */
  context: z.string().min(1, { error: "expected a kubeconfig context name" }).optional(),
  /**
   * The seeds' alerts (a PrometheusRule) and what Prometheus scrapes (PodMonitors), on by default;
   * false for a cluster without the Prometheus operator's CRDs. The dashboard ConfigMap is always there.
   */
  prometheusOperator: z.boolean().default(true),
  /**
   * Labels on the PrometheusRule and the PodMonitors, for the Prometheus operator's selectors
   * (kube-prometheus-stack selects `release: <its release name>` unless told otherwise).
   */
  prometheusLabels: labelMap.default({}),
  /**
   * Where docs/RUNBOOK.md is read: each alert's `runbook_url` annotation is this URL and the alert's
   * heading (`<runbookUrl>#hrvdlqspike`), so the link works from Alertmanager, Slack or a pager.
   */
  runbookUrl: z
    .url({ protocol: /^https?$/, error: "expected an http(s) URL of docs/RUNBOOK.md, such as https://github.com/athlete-ally/event-bus/blob/main/docs/RUNBOOK.md" })
    .refine((u) => !u.includes("#"), { error: "expected a URL without a #fragment: each alert adds its own heading's anchor" })
    .default("https://github.com/athlete-ally/event-bus/blob/main/docs/RUNBOOK.md"),
});

export type KubernetesConfig = z.output<typeof kubernetesSchema>;

/** The validated `kubernetes` settings of a stack, or undefined when it has none (the local stack). */
export function kubernetesConfigOf(c: StackConfig): KubernetesConfig | undefined {
  if (c.kubernetes === undefined) return undefined;
  const r = kubernetesSchema.safeParse(c.kubernetes);
  if (!r.success) {
    const detail = r.error.issues.map((i) => `  event-bus:kubernetes.${formatPath(i.path)}: ${i.message}`).join("\n");
    throw new Error(`invalid stack configuration:\n${detail}`);
  }
  const share = newTopologyFraction(c.migrationPhase) * 100;
  if (r.data.newTopologyPercent !== undefined && r.data.newTopologyPercent !== share) {
    const where = share ? c.streams.core : c.streams.legacy;
    throw new Error(
      `invalid stack configuration:\n  event-bus:kubernetes.newTopologyPercent: expected ${share} in migrationPhase ${c.migrationPhase} (or leave it out): ${where} captures the core subjects then, and ingest-service publishes each event expecting the stream it picks, so ${r.data.newTopologyPercent}% would fail ${share ? 100 - r.data.newTopologyPercent : r.data.newTopologyPercent}% of them`,
    );
  }
  const identityProblems = [...passwordHashProblems(c.nats, r.data.nats.passwordHashes, r.data.nats.passwordSlots?.admin), ...tlsProblems(c.nats, r.data.nats.tls)];
  if (identityProblems.length) throw new Error(`invalid stack configuration:\n${identityProblems.map((p) => `  event-bus:${p.key}: ${p.reason}`).join("\n")}`);
  if (r.data.canaryPercent > 0 && c.mode !== "single") {
    throw new Error(`invalid stack configuration:\n  event-bus:kubernetes.canaryPercent: a canary runs multi-mode pods next to single-mode ones; expected mode "single" (it is "${c.mode}")`);
  }
  return r.data;
}

/**
 * The passwords kept out of the stack go together with their hashes: the admin's variable with its
 * hash (the servers must know the password the `up` signs in with), the preview identity with
 * the preview user's hash, under the name the servers give that user.
 */
export function passwordHashProblems(nats: StackConfig["nats"], hashes: KubernetesConfig["nats"]["passwordHashes"], adminSlots?: PasswordSlots): Array<{ key: string; reason: string }> {
  const out: Array<{ key: string; reason: string }> = [];
  const make = "`npm run nats-password` makes a password and its hash";
  const adminKeys = { a: "admin", b: "admin-b" } as const;
  for (const slot of ["a", "b"] as const) {
    if (hashes?.[adminKeys[slot]] && !nats.passwordEnv) out.push({ key: `kubernetes.nats.passwordHashes.${adminKeys[slot]}`, reason: `expected event-bus:nats.passwordEnv with it: the environment variable that holds the admin password in the \`up\`` });
  }
  // Each slot the servers accept needs its hash; the one the `up` signs in with is the password the variable holds.
  const { use, standby } = slotsOf(adminSlots, "admin");
  for (const slot of [use, ...(standby ? [standby] : [])]) {
    if (nats.passwordEnv && !hashes?.[adminKeys[slot]]) {
      out.push({ key: "nats.passwordEnv", reason: `expected event-bus:kubernetes.nats.passwordHashes.${adminKeys[slot]} with it: the servers get the hash of ${slot === use ? `the password ${nats.passwordEnv} holds` : `the admin's slot ${slot} password (kubernetes.nats.passwordSlots.admin "${adminSlots}")`} (${make})` });
    }
  }
  if (nats.preview && !hashes?.preview) out.push({ key: "nats.preview", reason: `expected event-bus:kubernetes.nats.passwordHashes.preview with it: the servers get the hash of the password ${nats.preview.passwordEnv} holds (${make})` });
  if (hashes?.preview && !nats.preview) out.push({ key: "kubernetes.nats.passwordHashes.preview", reason: "expected event-bus:nats.preview with it: { passwordEnv: <the variable that holds the preview password in a preview job> }" });
  if (nats.preview && nats.preview.user !== PREVIEW_USER) out.push({ key: "nats.preview.user", reason: `expected "${PREVIEW_USER}" (or leave it out): the servers this stack runs know the preview user by that name` });
  return out;
}

/** The providers trust the servers' CA once the servers speak TLS. */
export function tlsProblems(nats: StackConfig["nats"], tls: KubernetesConfig["nats"]["tls"]): Array<{ key: string; reason: string }> {
  if (tls?.stage !== "on" || nats.tls?.ca) return [];
  return [{ key: "nats.tls.ca", reason: `expected the CA of the certificate in Secret ${tls.secretName} (a file path or PEM text): the servers require TLS (kubernetes.nats.tls.stage "on"), and the providers must trust them` }];
}

/**
 * A carried-over password (event-bus:natsUserPasswords) and a hash for the same slot a
 * (kubernetes.nats.passwordHashes) can not both be the password: the hash's is kept out of the
 * stack (the admin's in the up's environment, a service's in the Secret its owner made).
 */
export function carriedHashProblems(hashes: KubernetesConfig["nats"]["passwordHashes"], carried: readonly string[]): Array<{ key: string; reason: string }> {
  return SLOTTED_USERS.filter((u) => carried.includes(u) && hashes?.[u]).map((u) => ({
    key: `natsUserPasswords.${u}`,
    reason:
      u === "admin"
        ? "expected no admin password in the stack when its hash is given (kubernetes.nats.passwordHashes.admin): the admin password comes from the environment of the up (event-bus:nats.passwordEnv)"
        : `expected no ${u} password in the stack when its hash is given (kubernetes.nats.passwordHashes.${u}): the password is the one in Secret ${externalPasswordSecretName({ name: u })}, which its owner made; to carry this one over, remove the hash (\`pulumi config rm --path event-bus:kubernetes.nats.passwordHashes.${u}\`)`,
  }));
}

/**
 * A carried-over password (event-bus:natsUserPasswords) is slot a's, the one the live clients
 * signed in with: once a rotation leaves slot a ("b"), it is retired, and a rotation back to a
 * ("b>a") must make a new password, not bring the old one back.
 */
export function carriedSlotProblems(slots: KubernetesConfig["nats"]["passwordSlots"], carried: readonly string[]): Array<{ key: string; reason: string }> {
  return SLOTTED_USERS.filter((u) => carried.includes(u) && (slots?.[u] === "b" || slots?.[u] === "b>a"))
    .map((u) => ({
      key: `natsUserPasswords.${u}`,
      reason: `expected no carried-over ${u} password with kubernetes.nats.passwordSlots.${u} "${slots![u]}": it was slot a's, which the rotation retired (remove it: \`pulumi config rm --path event-bus:natsUserPasswords.${u}\`); slot a gets a new password when it comes back`,
    }));
}
