/**
 * Taking over the live Kubernetes objects of production (event-bus:kubernetes.adopt) under the
 * real engine and the real Kubernetes plugin, on a control plane whose pods run as processes.
 *
 * Before the stack exists, the cluster runs as the seeds left it, applied by another hand
 * (`kubectl apply --server-side`, field manager "kubectl"): the NATS StatefulSet, its ConfigMap
 * and Services, the `event-bus-config` flags, the normalize-service and ingest-service
 * Deployments and Services, with labels of their own (`app` only) and the users' passwords in a
 * Secret of their own (`nats-users`). The legacy stream and its two durables live on that NATS
 * cluster, and the services run on them.
 *
 * Assumed of the live cluster (the seeds do not show its manifests): the names this stack uses
 * (the official chart's `nats`, `nats-headless`, `nats-config`), the chart's serviceName, claim
 * template and pod management, and selectors on `app`. Where a live object differs in what can
 * only be replaced, the engine refuses the replace of an imported object.
 */
import { execFileSync } from "node:child_process";
import { connect } from "@nats-io/transport-node";
import { closeConnections } from "../../components/jetstream/client";
import { allManifests } from "../../components/kubernetes/manifests";
import { adoptKey } from "../../components/kubernetes/adoption";
import { poll } from "../../components/poll";
import { readRecords } from "../doubles/records";
import { kubeStack, type KubeStack } from "../helpers/kube-stack";
import { addLegacyStreamAsSeeds } from "../helpers/seeds-streams";
import { NATS_CLI_BIN, TOOLS_BIN } from "../helpers/nats-servers";
import { waitForPods } from "../helpers/pod-agent";
import { render } from "../helpers/render";

const HRV = "athlete-ally.hrv.raw-received";
const REPLACES = new Set(["replace", "create-replacement", "delete-replaced"]);

/** What the seeds' cluster runs, made by hand: by kind and name. */
const LIVE = [
  "Secret/nats-users",
  "ConfigMap/nats-config",
  "Service/nats-headless",
  "Service/nats",
  "StatefulSet/nats",
  "ConfigMap/event-bus-config",
  "Deployment/normalize-service",
  "Deployment/ingest-service",
  "Service/normalize-service",
  "Service/ingest-service",
];
const ADOPT = LIVE.filter((k) => !k.startsWith("Secret/"));

/** The users' passwords the live clients sign in with today. */
const PASSWORDS = { admin: `live-admin-${Date.now()}`, ingest: `live-ingest-${Date.now()}`, normalize: `live-normalize-${Date.now()}` };

/**
 * An object as the seeds' hand made it: labels `app` only, no annotations of this stack, the
 * services' passwords from the `nats-users` Secret, and the server's written into its nats.conf.
 */
function asMadeByHand(o: any): any {
  const copy = JSON.parse(JSON.stringify(o));
  const app = copy.metadata.labels?.app ?? copy.metadata.name;
  copy.metadata.labels = { app };
  delete copy.metadata.annotations;
  // The hand's nats.conf read the users' passwords from the environment, filled from its
  // `nats-users` Secret (where the stack includes their hashes from a Secret of its own).
  if (copy.kind === "ConfigMap" && copy.data?.["nats.conf"]) {
    copy.data["nats.conf"] = copy.data["nats.conf"].replace(/^\s*include .*$/gm, "").replace(/\$PASSWORD_([A-Z]+)/g, "$$NATS_$1_PASSWORD");
  }
  if (copy.kind === "StatefulSet") {
    const nats = copy.spec.template.spec.containers[0];
    nats.env = [...nats.env, ...Object.keys(PASSWORDS).map((user) => ({ name: `NATS_${user.toUpperCase()}_PASSWORD`, valueFrom: { secretKeyRef: { name: "nats-users", key: user } } }))];
  }
  const template = copy.spec?.template;
  if (template?.spec.volumes) {
    template.spec.volumes = template.spec.volumes.filter((v: any) => !v.secret);
    for (const c of template.spec.containers) c.volumeMounts = c.volumeMounts?.filter((m: any) => template.spec.volumes.some((v: any) => v.name === m.name) || m.name === copy.spec.volumeClaimTemplates?.[0]?.metadata.name);
  }
  if (template) {
    // The hand's pods ran as the namespace's default ServiceAccount, with no security settings.
    for (const key of ["serviceAccountName", "automountServiceAccountToken", "securityContext"]) delete template.spec[key];
    for (const c of template.spec.containers) delete c.securityContext;
    template.metadata = { labels: { app } };
    for (const c of template.spec.containers) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        // event-bus-nats-<user> (the stack's Secret per user) -> the seeds' one Secret, key <user>
        if (ref && ref.name !== "nats-users") e.valueFrom.secretKeyRef = { name: "nats-users", key: /^event-bus-nats-(\w+)$/.exec(ref.name)![1] };
      }
    }
  }
  return copy;
}

/** A `--json` preview's steps as [operation, "<type>::<name>"]: a Service, a StatefulSet and a PodDisruptionBudget share the name event-bus-nats. */
const plan = (preview: { stdout: string }) =>
  ((JSON.parse(preview.stdout).steps ?? []) as Array<{ op: string; urn: string }>).map((st) => [st.op, `${st.urn.split("::").at(-2)!.split("$").at(-1)}::${st.urn.split("::").at(-1)}`]);

describe("engine and Kubernetes provider - production takes over the live objects made by hand", () => {
  let k: KubeStack;
  // Production's objects in the suite's namespace, as the live cluster's hands made them.
  let byKey: Map<string, any>;
  const nats = (...args: string[]) => execFileSync(NATS_CLI_BIN, ["--server", k.natsUrls.join(","), "--user", "event-bus-admin", "--password", PASSWORDS.admin, ...args], { stdio: "pipe" });
  const live: Record<string, { uid: string; selector?: unknown }> = {};

  beforeAll(async () => {
    // TLS's first stage for a cluster taken over (docs/RUNBOOK.md): the services get the CA, the servers stay plain.
    // The live clients' passwords are carried over (the stack file's service hashes leave it, as the runbook's takeover says).
    k = await kubeStack("production", { namespaceExists: true, adminPassword: PASSWORDS.admin, carried: ["ingest", "normalize"], kubernetes: { nats: { tls: { secretName: "nats-tls", stage: "trust" } } } });
    // The hand's cluster knew the users it had (PASSWORDS), and spoke no TLS: rendered without the stack file's passwords kept out of the stack, and without its TLS.
    const { m } = render("production", { migrationPhase: 0, mode: "single", nats: { servers: k.natsUrls }, kubernetes: { prometheusOperator: false, namespace: k.namespace, nats: { passwordHashes: undefined, tls: undefined } } });
    byKey = new Map(allManifests(m).map((o) => [adoptKey(o), o]));
    const hand = (o: any) => k.cluster.apply(o, { fieldManager: "kubectl" });
    await hand({ apiVersion: "v1", kind: "Secret", metadata: { name: "nats-users", namespace: k.namespace }, type: "Opaque", stringData: PASSWORDS });
    for (const key of ["ConfigMap/nats-config", "Service/nats-headless", "Service/nats", "StatefulSet/nats"]) await hand(asMadeByHand(byKey.get(key)));
    await waitForPods(k.agent, k.cluster, k.namespace, "app=nats", 3, 120_000);
    // The seeds' stream and durables, as create-streams.js and create-consumers.js made them.
    await addLegacyStreamAsSeeds(nats);
    for (const [durable, filter] of [
      ["normalize-hrv-durable", HRV],
      ["normalize-oura", "vendor.oura.>"],
    ]) {
      nats("consumer", "add", "ATHLETE_ALLY_EVENTS", durable, "--pull", "--filter", filter, "--ack", "explicit", "--deliver", "all", "--max-deliver", "5", "--wait", "60s", "--max-pending", "1000", "--replay", "instant", "--defaults");
    }
    for (const key of ["ConfigMap/event-bus-config", "Deployment/normalize-service", "Deployment/ingest-service", "Service/normalize-service", "Service/ingest-service"]) await hand(asMadeByHand(byKey.get(key)));
    await waitForPods(k.agent, k.cluster, k.namespace, "app=normalize-service", 3, 120_000);
    await waitForPods(k.agent, k.cluster, k.namespace, "app=ingest-service", 3, 120_000);
    for (const key of ADOPT) {
      const [kind, name] = key.split("/");
      const o = await k.cluster.get(kind, name, k.namespace);
      live[key] = { uid: o.metadata.uid, selector: o.spec?.selector };
    }
  }, 420_000);
  afterAll(async () => {
    await closeConnections();
    await k?.stop();
  });

  it("a replace of an adopted object stops the preview; then the preview shows an import for each live object and no replace; up keeps them, their selectors and the clients' passwords; nothing is lost; the list may then go", async () => {
    // The services process on the live bus before the stack exists.
    const before = await poll({ timeoutMs: 60_000, intervalMs: 250 }, () => {
      const hrv = readRecords(k.agent.recordsDir).filter((r) => r.t === "processed" && r.key === "hrv");
      return hrv.length >= 10 ? hrv.length : undefined;
    });
    expect(before).toBeDefined();

    const messagesBefore = JSON.parse(nats("stream", "info", "ATHLETE_ALLY_EVENTS", "--json").toString()).state.messages as number;
    // The pull request: the objects to adopt, the live bus taken over, and the clients' passwords carried over.
    const configure = async (kubernetes: Record<string, unknown> = { adopt: ADOPT }) => {
      k.configure({ migrationPhase: 0, mode: "single", adoptExisting: true, kubernetes });
      // The admin's is carried over as the stack file keeps it: its hash, and the password in the up's environment (kubeStack's adminPassword).
      for (const [user, password] of Object.entries(PASSWORDS)) if (user !== "admin") await k.stack.ok(["config", "set", "--secret", "--path", `event-bus:natsUserPasswords.${user}`], { input: password });
    };

    // A stack whose StatefulSet differs from the live one in what can only be replaced (the claim
    // template's size) stops at the preview: production protects it, and an import is never replaced.
    await configure({ adopt: ADOPT, nats: { storageSize: "20Gi" } });
    const refused = await k.stack.run(["preview"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/unable to replace resource "urn:pulumi:production::event-bus::event-bus:index:Kubernetes\$kubernetes:apps\/v1:StatefulSet::event-bus-nats"\s+as it is currently marked for protection/);
    expect(refused.stdout + refused.stderr).toMatch(/previously-imported resources that still specify an ID may not be replaced/);
    expect((await k.cluster.get("StatefulSet", "nats", k.namespace)).metadata.uid).toBe(live["StatefulSet/nats"].uid);

    // What the seeds' runbook leaves: `kubectl set env deployment/normalize-service EVENT_STREAM_MODE=multi`.
    // The explicit entry would shadow the flags ConfigMap after the stack takes the Deployment over:
    // the preview stops, naming it and the command that removes it.
    const kubectl = (command: string) => execFileSync("bash", ["-c", command], { env: { ...process.env, PATH: `${TOOLS_BIN}:${process.env.PATH}`, KUBECONFIG: k.cluster.kubeconfig }, stdio: "pipe" }).toString();
    kubectl(`kubectl -n ${k.namespace} set env deployment/normalize-service EVENT_STREAM_MODE=multi`);
    await configure();
    const shadowed = await k.stack.run(["preview"]);
    expect(shadowed.code).not.toBe(0);
    const said = shadowed.stdout + shadowed.stderr;
    const remove = /\((kubectl -n \S+ set env deployment\/normalize-service -c normalize-service EVENT_STREAM_MODE-)\)/.exec(said);
    const refusal = /deployment \S+\/normalize-service: env EVENT_STREAM_MODE=multi \(container normalize-service\) was set by hand/.test(said);
    expect({ refusal, remove: remove?.[1], ...(refusal ? {} : { said: said.slice(-3000) }) }).toEqual({
      refusal: true,
      remove: `kubectl -n ${k.namespace} set env deployment/normalize-service -c normalize-service EVENT_STREAM_MODE-`,
    });
    kubectl(remove![1]);
    await waitForPods(k.agent, k.cluster, k.namespace, "app=normalize-service", 3, 120_000);

    const text = await k.stack.ok(["preview", "--diff"]);
    console.log(`adoption preview (pulumi preview --diff)\n${text.stdout}`);
    const planned = plan(await k.stack.ok(["preview", "--json"]));
    expect(planned.filter(([op]) => REPLACES.has(op))).toEqual([]);
    const imported = planned.filter(([op]) => op === "import").map(([, n]) => n);
    // Resource names: the component's name and the object's (the flags ConfigMap is event-bus-flags).
    const typeOf: Record<string, string> = { ConfigMap: "core/v1:ConfigMap", Service: "core/v1:Service", StatefulSet: "apps/v1:StatefulSet", Deployment: "apps/v1:Deployment" };
    const resourceOf = (key: string) => `kubernetes:${typeOf[key.split("/")[0]]}::${key === "ConfigMap/event-bus-config" ? "event-bus-flags" : `event-bus-${key.split("/")[1]}`}`;
    expect([...imported].sort()).toEqual(ADOPT.map(resourceOf).sort());
    // Nothing adopted is created: the creates are the stack's own new objects.
    const created = planned.filter(([op]) => op === "create").map(([, n]) => n);
    for (const n of imported) expect(created).not.toContain(n);

    const up = await k.stack.ok(["up", "--yes"]);
    console.log(`adoption up\n${up.stdout.split("\n").filter((l) => /Resources:|imported|updated|created|Duration/.test(l)).join("\n")}`);
    for (const key of ADOPT) {
      const [kind, name] = key.split("/");
      const o = await k.cluster.get(kind, name, k.namespace);
      // The same object (not deleted and made again), with the selector it had.
      expect({ key, uid: o.metadata.uid, selector: o.spec?.selector }).toEqual({ key, ...live[key] });
    }
    // The stack's declarations are in place: its labels and the Secrets it made.
    const sts = await k.cluster.get("StatefulSet", "nats", k.namespace);
    expect(sts.metadata.labels).toMatchObject({ "app.kubernetes.io/part-of": "event-bus" });
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: "passwords", secret: expect.objectContaining({ secretName: "event-bus-nats-passwords" }) });

    // Every pod rolled onto the stack's template (its labels), the NATS pods onto the stack's Secrets.
    await waitForPods(k.agent, k.cluster, k.namespace, "app=nats,app.kubernetes.io/part-of=event-bus", 3, 240_000);
    await waitForPods(k.agent, k.cluster, k.namespace, "app=normalize-service,track=stable", 3, 120_000);
    await waitForPods(k.agent, k.cluster, k.namespace, "app=ingest-service,app.kubernetes.io/part-of=event-bus", 3, 120_000);
    // The clients' current password still signs in, on NATS pods started from the stack's own Secrets.
    const nc = await connect({ servers: k.natsUrls, user: "ingest-service", pass: PASSWORDS.ingest });
    await nc.flush();
    await nc.close();
    expect(k.stack.transcript.join("\n")).not.toContain(PASSWORDS.ingest);
    // The services go on processing after the roll, on the legacy stream, and nothing crashed.
    const after = await poll({ timeoutMs: 60_000, intervalMs: 250 }, () => {
      const hrv = readRecords(k.agent.recordsDir).filter((r) => r.t === "processed" && r.key === "hrv");
      return hrv.length > before! + 10 ? hrv.length : undefined;
    });
    expect(after).toBeDefined();
    const bound = readRecords(k.agent.recordsDir).filter((r) => r.t === "bound" && r.key === "hrv").map((r) => (r as { stream: string }).stream);
    expect(new Set(bound)).toEqual(new Set(["ATHLETE_ALLY_EVENTS"]));
    expect(k.agent.crashes()).toEqual([]);
    const info = JSON.parse(nats("stream", "info", "ATHLETE_ALLY_EVENTS", "--json").toString());
    expect(info.state.first_seq).toBe(1);
    expect(info.state.messages).toBeGreaterThan(messagesBefore);

    // The real plugin may record an adopted headless Service as it was before its update: its await
    // takes the object from a watch that can lag behind the apply (rv 852 stored, 853 live, seen
    // under load). The runbook's adoption ends with `pulumi refresh`, which records them as they
    // are; then nothing is planned.
    await k.stack.ok(["refresh", "--yes"]);
    await k.stack.ok(["preview", "--expect-no-changes", "--diff"]);

    // Once adopted, the list may go: the objects only give up the force annotation (updates), and
    // what the server assigned stays the server's (no Service or StatefulSet replaced).
    await configure({});
    const released = plan(await k.stack.ok(["preview", "--json"]));
    expect(released.filter(([op]) => op !== "same" && op !== "read")).toEqual(expect.arrayContaining(ADOPT.map((key) => ["update", resourceOf(key)])));
    // The preview's looks at the live objects (reads) leave the state with the list: discarded, nothing on the cluster.
    expect(released.filter(([op]) => op === "discard").map(([, n]) => n).sort()).toEqual(
      ["kubernetes:apps/v1:Deployment::event-bus-ingest-service-live", "kubernetes:apps/v1:Deployment::event-bus-normalize-service-live", "kubernetes:apps/v1:StatefulSet::event-bus-nats-live", "kubernetes:core/v1:ConfigMap::event-bus-nats-config-live"].sort(),
    );
    expect(released.filter(([op]) => op !== "same" && op !== "read" && op !== "update" && op !== "discard")).toEqual([]);
    await k.stack.ok(["up", "--yes"]);
    for (const key of ADOPT) {
      const [kind, name] = key.split("/");
      expect({ key, uid: (await k.cluster.get(kind, name, k.namespace)).metadata.uid }).toEqual({ key, uid: live[key].uid });
    }
    await k.stack.ok(["preview", "--expect-no-changes", "--diff"]);

    // TLS's next stages on the taken-over cluster (docs/RUNBOOK.md), one up each, the routes left
    // plain (routes: false: a running cluster's routes would split mid-roll). At "offer" the
    // providers still speak plain (before its roll the servers offer no TLS); the services, which
    // trust the CA since "trust", upgrade. At "on" every client speaks TLS, the providers too.
    const clientsTls = async () => {
      const out: Array<{ user?: string; tls: boolean }> = [];
      for (const url of k.natsMonitorUrls) {
        const connz = (await (await fetch(`${url}/connz?auth=true&limit=1024`)).json()) as { connections: Array<{ authorized_user?: string; tls_version?: string }> };
        out.push(...connz.connections.map((c) => ({ user: c.authorized_user, tls: /^1\.[23]$/.test(c.tls_version ?? "") })));
      }
      return out;
    };
    for (const stage of ["offer", "on"] as const) {
      await configure({ nats: { tls: { secretName: "nats-tls", stage, routes: false } } });
      await k.stack.ok(["up", "--yes"]);
      await waitForPods(k.agent, k.cluster, k.namespace, "app=nats", 3, 240_000);
      const services = await poll({ timeoutMs: 60_000, intervalMs: 500 }, async () => {
        const c = (await clientsTls()).filter((x) => /^(ingest|normalize)-service$/.test(x.user ?? ""));
        return c.length >= 6 && c.every((x) => x.tls) ? c.length : undefined;
      });
      expect({ stage, servicesOverTls: services !== undefined }).toEqual({ stage, servicesOverTls: true });
      await k.stack.ok(["preview", "--expect-no-changes"]);
    }
    // At "on" the servers take no plain client.
    await expect(connect({ servers: k.natsUrls, user: "ingest-service", pass: PASSWORDS.ingest, tls: null, reconnect: false, timeout: 3_000 })).rejects.toThrow(/tls/i);
    expect(k.agent.crashes()).toEqual([]);
  }, 1_200_000);
});
