/**
 * The stacks' Kubernetes objects judged by a real control plane (test/helpers/kube-cluster.ts):
 * every object accepted, the sequence a user goes through applied in order with no refused update
 * and no immutable-field change, rollouts on a flag change, exact canary pod counts, NATS pods
 * spread over three nodes with their volumes bound and a PodDisruptionBudget that allows one
 * disruption, and no object that would need a replace between any two configurations.
 *
 * The Prometheus operator's CRDs are not available here, so its PrometheusRule and PodMonitors are
 * left out of the applies (they are checked against the operator's schemas and by promtool).
 */
import { randomBytes } from "node:crypto";
import { allManifests } from "../../components/kubernetes/manifests";
import { passwordSecretName } from "../../components/kubernetes/nats-cluster";
import { PASSWORDS_FILE, PASSWORDS_SECRET, ROUTES_FILE, passwordHash, renderPasswordsConf, renderRoutesConf } from "../../components/kubernetes/nats-passwords";
import { RESTRICTED_NAMESPACE_LABELS } from "../../components/kubernetes/pod-security";
import { servicePasswordSecretName } from "../../components/kubernetes/service-deployments";
import { KubeApiError, startKubeCluster, type KubeCluster } from "../helpers/kube-cluster";
import { render } from "../helpers/render";

type Overrides = Record<string, unknown>;
const NORMALIZE = { image: "ghcr.io/athlete-ally/normalize-service", tag: "1.4.2" };

/** A stack's objects as they would be applied, with a Secret per NATS user, in namespace `ns`. */
function objectsOf(stack: string, ns: string, overrides: Overrides = {}, passwords: Record<string, string> = {}) {
  const k = (overrides.kubernetes as Overrides | undefined) ?? {};
  const { m } = render(stack, { ...overrides, kubernetes: { ...k, namespace: ns } });
  const objects = allManifests(m).filter((o) => !o.apiVersion!.startsWith("monitoring.coreos.com/")) as any[];
  const signedIn = m.users.filter((u) => !u.passwordless);
  const secrets = signedIn.map((u) => ({
    apiVersion: "v1",
    kind: "Secret",
    // The services' Secrets under the name their pods read: their owners' where the stack file keeps their passwords out of the stack.
    metadata: { name: u.name === "ingest" || u.name === "normalize" ? servicePasswordSecretName(u) : passwordSecretName(u), namespace: ns },
    type: "Opaque",
    stringData: { password: (passwords[u.name] ??= randomBytes(16).toString("hex")) },
  }));
  // The servers' file of hashes, as the component writes it.
  const hashes = renderPasswordsConf(signedIn.map((u) => ({ user: u, hash: passwordHash(passwords[u.name], `test/${u.name}`) })));
  secrets.push({ apiVersion: "v1", kind: "Secret", metadata: { name: PASSWORDS_SECRET, namespace: ns }, type: "Opaque", stringData: { [PASSWORDS_FILE]: hashes, [ROUTES_FILE]: renderRoutesConf(m.natsRoutes, "route0123") } as any });
  return { m, objects: [...secrets, ...objects], passwords };
}

/** The configurations a user moves production through, in order (docs/RUNBOOK.md). */
const JOURNEY: Array<{ step: string; overrides: Overrides }> = [
  { step: "phase 0, single", overrides: { migrationPhase: 0, mode: "single", kubernetes: { normalize: { ...NORMALIZE, replicas: 10 } } } },
  { step: "canary 10%", overrides: { migrationPhase: 0, mode: "single", kubernetes: { canaryPercent: 10, normalize: { ...NORMALIZE, replicas: 10 } } } },
  { step: "canary 50%", overrides: { migrationPhase: 0, mode: "single", kubernetes: { canaryPercent: 50, normalize: { ...NORMALIZE, replicas: 10 } } } },
  { step: "canary 100%", overrides: { migrationPhase: 0, mode: "single", kubernetes: { canaryPercent: 100, normalize: { ...NORMALIZE, replicas: 10 } } } },
  { step: "canary 0%, multi", overrides: { migrationPhase: 0, mode: "multi", kubernetes: { normalize: { ...NORMALIZE, replicas: 10 } } } },
  { step: "phase 1", overrides: { migrationPhase: 1, mode: "multi", kubernetes: { normalize: { ...NORMALIZE, replicas: 10 } } } },
  { step: "phase 2", overrides: { migrationPhase: 2, mode: "multi", kubernetes: { normalize: { ...NORMALIZE, replicas: 10 } } } },
  { step: "phase 3", overrides: { migrationPhase: 3, mode: "multi", kubernetes: { normalize: { ...NORMALIZE, replicas: 10 } } } },
  { step: "a flag change", overrides: { migrationPhase: 3, mode: "multi", pullLoop: { batchSize: 20 }, kubernetes: { normalize: { ...NORMALIZE, replicas: 10 } } } },
  { step: "a replica change", overrides: { migrationPhase: 3, mode: "multi", pullLoop: { batchSize: 20 }, kubernetes: { normalize: { ...NORMALIZE, replicas: 12 } } } },
];

describe("kubernetes - a real control plane", () => {
  let cluster: KubeCluster;
  beforeAll(async () => {
    cluster = await startKubeCluster({ nodes: 3 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  // Every namespace enforces Pod Security "restricted", as the stack labels one it creates: each object of each step must be admitted under it.
  const namespace = (ns: string) => cluster.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: RESTRICTED_NAMESPACE_LABELS } });
  const applyAll = async (objects: any[], dryRun = false) => {
    for (const o of objects) await cluster.apply(o, { dryRun });
  };
  /** Ready pods of an app in a namespace, by the track label (normalize's stable/canary). */
  const readyPods = async (ns: string, selector: string) =>
    (await cluster.list("Pod", ns, selector)).filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"));
  const settled = async (ns: string, name: string) => {
    const d = await cluster.get("Deployment", name, ns);
    const s = d?.status ?? {};
    return d && s.observedGeneration >= d.metadata.generation && (s.updatedReplicas ?? 0) === d.spec.replicas && (s.readyReplicas ?? 0) === d.spec.replicas && (s.replicas ?? 0) === d.spec.replicas ? d : undefined;
  };

  it.each(["staging", "production"])("accepts every object of %s", async (stack) => {
    const ns = `accept-${stack}`;
    await namespace(ns);
    const { objects } = objectsOf(stack, ns);
    await applyAll(objects);
    for (const o of objects) expect(await cluster.get(o.kind, o.metadata.name, ns)).toBeDefined();
  }, 60_000);

  it("production: three NATS pods on three nodes, volumes bound, one disruption allowed, every password taken from a user's Secret", async () => {
    const ns = "production";
    await namespace(ns);
    const { objects, passwords } = objectsOf("production", ns);
    await applyAll(objects);
    const pods = await cluster.waitFor("three ready NATS pods", async () => {
      const ready = await readyPods(ns, "app=nats");
      return ready.length === 3 ? ready : undefined;
    }, 90_000);
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(3);
    const zones = await Promise.all(pods.map(async (p) => (await cluster.get("Node", p.spec.nodeName)).metadata.labels["topology.kubernetes.io/zone"]));
    expect(new Set(zones).size).toBe(3);
    const claims = await cluster.list("PersistentVolumeClaim", ns);
    expect(claims.map((c) => `${c.metadata.name}:${c.status.phase}`).sort()).toEqual(["jetstream-nats-0:Bound", "jetstream-nats-1:Bound", "jetstream-nats-2:Bound"]);
    const pdb = await cluster.waitFor("the PodDisruptionBudget to count three healthy pods", async () => {
      const p = await cluster.get("PodDisruptionBudget", "nats", ns);
      return p?.status?.currentHealthy === 3 ? p : undefined;
    });
    expect(pdb.status.disruptionsAllowed).toBe(1);
    // The NATS pods and the services' pods (as the control plane stores their templates) take every
    // password from a Secret the stack makes, by the Secret's name and its key, and carry none as a
    // plain value. Whether a generated password reaches a ConfigMap is judged with the program's own
    // generated values, in kubernetes.mocks.test.ts.
    const refs: string[] = [];
    for (const w of [...(await cluster.list("StatefulSet", ns)), ...(await cluster.list("Deployment", ns))]) {
      const spec = w.spec.template.spec;
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        for (const env of container.env ?? []) {
          const where = { workload: w.metadata.name, env: env.name };
          expect({ ...where, plain: Object.values(passwords).includes(env.value) }).toEqual({ ...where, plain: false });
          const ref = env.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const secret = await cluster.get("Secret", ref.name, ns);
          expect({ ...where, secret: ref.name, key: ref.key, found: secret?.data?.[ref.key] !== undefined }).toEqual({ ...where, secret: ref.name, key: ref.key, found: true });
          refs.push(`${env.name}<-${ref.name}`);
        }
      }
    }
    // The services read their own password; the NATS pods get none, only the file of hashes.
    expect(new Set(refs)).toEqual(new Set(["NATS_PASSWORD<-event-bus-nats-ingest-external", "NATS_PASSWORD<-event-bus-nats-normalize-external"]));
    for (const p of pods) expect(p.spec.volumes.find((v: any) => v.secret)?.secret.secretName).toBe(PASSWORDS_SECRET);
  }, 120_000);

  it("the production journey: every step applies in order, canary counts are exact, a flag change rolls both Deployments", async () => {
    const ns = "journey";
    await namespace(ns);
    const passwords: Record<string, string> = {};
    const replicaSets = async (app: string) => (await cluster.list("ReplicaSet", ns, `app=${app}`)).map((r) => r.metadata.name).sort();
    let before: Record<string, string[]> = {};
    let previous: any[] = [];
    const log: string[] = [];
    for (const { step, overrides } of JOURNEY) {
      const { objects, m } = objectsOf("production", ns, overrides, passwords);
      // The server judges each change before it is made (a dry run), then it is applied.
      await applyAll(objects, true);
      await applyAll(objects);
      // What the program no longer declares, Pulumi deletes (the canary Deployment leaving).
      for (const o of previous) if (!objects.some((n) => n.kind === o.kind && n.metadata.name === o.metadata.name)) await cluster.remove(o.kind, o.metadata.name, ns);
      previous = objects;
      for (const d of m.deployments) await cluster.waitFor(`${step}: ${d.metadata!.name} rolled out`, () => settled(ns, d.metadata!.name!), 90_000);
      const stable = (await readyPods(ns, "app=normalize-service,track=stable")).length;
      const canary = (await readyPods(ns, "app=normalize-service,track=canary")).length;
      const multiPods = (await readyPods(ns, "app=normalize-service")).filter((p) => {
        const env = p.spec.containers[0].env ?? [];
        return env.some((e: any) => e.name === "EVENT_STREAM_MODE" && e.value === "multi");
      }).length;
      log.push(`${step}: stable ${stable}, canary ${canary} (multi by override: ${multiPods})`);
      if (step.startsWith("canary") && step !== "canary 0%, multi") {
        const share = Number(step.match(/(\d+)%/)![1]);
        expect({ step, stable, canary, multiPods }).toEqual({ step, stable: 10 - share / 10, canary: share / 10, multiPods: share / 10 });
      } else {
        expect({ step, canary, multiPods }).toEqual({ step, canary: 0, multiPods: 0 });
      }
      const after = { normalize: await replicaSets("normalize-service"), ingest: await replicaSets("ingest-service") };
      if (step === "a flag change") {
        // Each Deployment got a new ReplicaSet: the pods restarted with the new flags.
        expect(after.normalize.filter((r) => !before.normalize.includes(r))).toHaveLength(1);
        expect(after.ingest.filter((r) => !before.ingest.includes(r))).toHaveLength(1);
      }
      before = after;
    }
    console.log(log.join("\n"));
    expect((await readyPods(ns, "app=normalize-service,track=stable")).length).toBe(12);
  }, 600_000);

  it("no configuration a user moves between needs a replace of any object: the server accepts each change, both ways", async () => {
    const ns = "pairs";
    await namespace(ns);
    const passwords: Record<string, string> = {};
    const configs = [...JOURNEY, { step: "staging-like: one server", overrides: { migrationPhase: 3, mode: "multi", kubernetes: { nats: { replicas: 1 }, normalize: { ...NORMALIZE, replicas: 1 } } } }];
    const refused: string[] = [];
    for (const from of configs) {
      await applyAll(objectsOf("production", ns, from.overrides, passwords).objects);
      for (const to of configs) {
        if (to === from) continue;
        for (const o of objectsOf("production", ns, to.overrides, passwords).objects) {
          try {
            await cluster.apply(o, { dryRun: true });
          } catch (e) {
            refused.push(`${from.step} -> ${to.step}: ${(e as KubeApiError).message}`);
          }
        }
      }
    }
    expect(refused).toEqual([]);
  }, 300_000);

  it("the judge is real: a changed Deployment selector is refused as immutable", async () => {
    const ns = "immutable";
    await namespace(ns);
    const { objects } = objectsOf("production", ns);
    await applyAll(objects);
    const d = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "normalize-service");
    const changed = { ...d, spec: { ...d.spec, selector: { matchLabels: { app: "normalize-service", track: "other" } }, template: { ...d.spec.template, metadata: { ...d.spec.template.metadata, labels: { ...d.spec.template.metadata.labels, track: "other" } } } } };
    await expect(cluster.apply(changed, { dryRun: true })).rejects.toThrow(/field is immutable/);
  }, 60_000);
});
