/**
 * Staging and production, whole, from their own stack files, under the real engine with the real
 * Kubernetes provider plugin (and the random plugin's stand-in), against a control plane whose
 * pods run as processes: the NATS StatefulSet's pods run nats-server with the nats.conf and users
 * the stack deploys, and the stack's streams and durables are made on that cluster; the service
 * Deployments' pods run the service doubles. Each stack: up, a preview with no changes, refresh,
 * a flag flip (previewed, then applied), and destroy (production's protection holds).
 */
import { closeConnections } from "../../components/jetstream/client";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { RESTRICTED_NAMESPACE_LABELS } from "../../components/kubernetes/pod-security";
import { readRecords } from "../doubles/records";
import { plannedOps, plannedSteps } from "../helpers/engine";
import { kubeStack, type KubeStack } from "../helpers/kube-stack";
import { makeCerts, type TestCerts } from "../helpers/tls-certs";
import { freePort, getJson, startServer } from "../helpers/nats-servers";
import { waitForPods } from "../helpers/pod-agent";
import { poll, sleep } from "../../components/poll";

/** The streams on the stack's own NATS cluster, read as its admin user (the password the deploy job's environment holds). */
async function streamsOf(k: KubeStack): Promise<Record<string, { subjects: string[]; replicas: number; consumers: string[] }>> {
  const nc = await connect({ servers: k.natsUrls, user: "event-bus-admin", pass: k.passwords.admin, ...tlsOf(k) });
  try {
    const jsm = await jetstreamManager(nc);
    const out: Record<string, { subjects: string[]; replicas: number; consumers: string[] }> = {};
    for await (const si of jsm.streams.list()) {
      const consumers: string[] = [];
      for await (const ci of jsm.consumers.list(si.config.name)) consumers.push(ci.name);
      out[si.config.name] = { subjects: si.config.subjects ?? [], replicas: si.config.num_replicas, consumers };
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** The CA a client of the stack's NATS pods needs, when they speak TLS (production here). */
const tlsOf = (k: KubeStack) => (k.caFile ? { tls: { caFile: k.caFile } } : {});

const REPLACES = new Set(["replace", "create-replacement", "delete-replaced"]);

describe.each([
  { name: "staging" as const, natsPods: 1, podsEach: 1, flip: { key: "event-bus:pullLoop", value: '{"batchSize":20}', env: "HRV_BATCH_SIZE", to: "20" } },
  { name: "production" as const, natsPods: 3, podsEach: 3, flip: { key: "event-bus:mode", value: "multi", env: "EVENT_STREAM_MODE", to: "multi" } },
])("engine and Kubernetes provider - $name, whole, from its stack file", ({ name, natsPods, podsEach, flip }) => {
  let k: KubeStack;
  let certs: TestCerts | undefined;
  beforeAll(async () => {
    // Staging's stack creates its namespace; production's exists already, as a live cluster's does,
    // labelled by its owners to enforce Pod Security "restricted" (as the runbook says).
    if (name === "staging") {
      k = await kubeStack(name, { kubernetes: { createNamespace: true }, systemAccount: true });
      return;
    }
    // Production speaks TLS to its clients and on its routes, from a Secret its owners made (as
    // cert-manager does) in the namespace that exists already; the providers trust the CA.
    certs = makeCerts("kubernetes-stacks-production");
    k = await kubeStack(name, {
      namespaceExists: { labels: RESTRICTED_NAMESPACE_LABELS },
      systemAccount: true,
      // ingest's password is carried over below; normalize's is kept out of the stack (the stack file's hash, the Secret its owner made).
      carried: ["ingest"],
      overrides: { nats: { tls: { ca: certs.caFile } } },
      kubernetes: { nats: { tls: { secretName: "nats-tls" } } },
    });
    await k.cluster.apply({ apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls", metadata: { name: "nats-tls", namespace: k.namespace }, data: certs.secretData });
  }, 360_000);
  afterAll(async () => {
    await closeConnections();
    await k?.stop();
    certs?.remove();
  });

  it(`up runs ${natsPods} NATS pod(s) as the stack deploys them, the streams on them, and the services bound`, async () => {
    // Production takes its clients' current ingest password over (event-bus:natsUserPasswords); normalize's is its owner's (the stack file's hash).
    const carried = `carried-${Math.random().toString(36).slice(2)}-${Date.now()}`;
    if (name === "production") await k.stack.ok(["config", "set", "--secret", "--path", "event-bus:natsUserPasswords.ingest"], { input: carried });
    const up = await k.stack.ok(["up", "--yes"]);
    // On the run's one control plane, in a namespace of its own, the pod agent running only its pods.
    expect({ shared: k.shared, namespace: k.namespace }).toEqual({ shared: true, namespace: `kubernetes-stacks-${name}` });
    expect(k.agent.runningPods().every((p) => p.startsWith(`kubernetes-stacks-${name}/`))).toBe(true);
    console.log(`${name}: first up\n${up.stdout.split("\n").filter((l) => /Resources:|created|Duration/.test(l)).join("\n")}`);
    expect(k.agent.runningPods().filter((p) => p.includes("/nats-")).length).toBe(natsPods);
    const streams = await streamsOf(k);
    const replicas = natsPods;
    if (name === "staging") {
      expect(streams).toEqual({
        AA_CORE_HOT: { subjects: ["athlete-ally.>", "sleep.*"], replicas, consumers: ["normalize-hrv-durable"] },
        AA_VENDOR_HOT: { subjects: ["vendor.>"], replicas, consumers: ["normalize-oura"] },
        AA_DLQ: { subjects: ["dlq.>"], replicas, consumers: [] },
      });
    } else {
      expect(streams).toEqual({
        ATHLETE_ALLY_EVENTS: { subjects: ["athlete-ally.>", "vendor.oura.>", "sleep.*"], replicas, consumers: ["normalize-hrv-durable", "normalize-oura"].sort() },
        AA_CORE_HOT: { subjects: ["AA_CORE_HOT"], replicas, consumers: [] },
        AA_VENDOR_HOT: { subjects: ["AA_VENDOR_HOT"], replicas, consumers: [] },
        AA_DLQ: { subjects: ["dlq.>"], replicas, consumers: [] },
      });
    }
    if (name === "production") {
      // The ingest user's Secret holds the carried password, and the NATS pods take it: what ingest clients sign in with today still works.
      const secret = await k.cluster.get("Secret", "event-bus-nats-ingest", k.namespace);
      expect(Buffer.from(secret.data.password, "base64").toString()).toBe(carried);
      const nc = await connect({ servers: k.natsUrls, user: "ingest-service", pass: carried, ...tlsOf(k) });
      await nc.flush();
      await nc.close();
      await expect(connect({ servers: k.natsUrls, user: "ingest-service", pass: "not-the-password", reconnect: false, ...tlsOf(k) })).rejects.toThrow(/Authorization/i);
      // TLS: a client without the CA is refused before it signs in; with it, and the right password, it is let in (above).
      await expect(connect({ servers: k.natsUrls, user: "ingest-service", pass: carried, reconnect: false, timeout: 3_000 })).rejects.toThrow(/certificate|self-signed|unable to verify/i);
      expect(k.stack.transcript.join("\n")).not.toContain(carried);
    }
    await waitForPods(k.agent, k.cluster, k.namespace, "app=normalize-service", podsEach);
    await waitForPods(k.agent, k.cluster, k.namespace, "app=ingest-service", podsEach);
    // The services signed in with the passwords the stack generated, bound, and process what ingest publishes.
    const expected = name === "staging" ? "AA_CORE_HOT" : "ATHLETE_ALLY_EVENTS";
    const processed = await poll({ timeoutMs: 30_000, intervalMs: 250 }, () => {
      const r = readRecords(k.agent.recordsDir);
      const hrv = r.filter((x) => x.t === "processed" && x.key === "hrv");
      return hrv.length > 20 ? r : undefined;
    });
    expect(processed).toBeDefined();
    const bound = processed!.filter((r) => r.t === "bound" && r.key === "hrv").map((r) => (r as { stream: string }).stream);
    expect(new Set(bound)).toEqual(new Set([expected]));
    expect(k.agent.crashes()).toEqual([]);
    // People's identity: the system account's user gets every server's report; the streams stay where the admin manages them.
    const system = await connect({ servers: k.natsUrls, user: "event-bus-system", pass: k.passwords.system, ...tlsOf(k) });
    try {
      const pongs: string[] = [];
      const sub = system.subscribe(system.options.inboxPrefix ? `${system.options.inboxPrefix}.pings` : "_INBOX.pings");
      void (async () => {
        for await (const m of sub) pongs.push(m.json<{ server: { name: string } }>().server.name);
      })();
      system.publish("$SYS.REQ.SERVER.PING", "", { reply: sub.getSubject() });
      await poll({ timeoutMs: 5_000, intervalMs: 100 }, () => (pongs.length >= natsPods ? true : undefined));
      expect(pongs.sort()).toEqual(Array.from({ length: natsPods }, (_, i) => `nats-${i}`));
    } finally {
      await system.close();
    }
    if (name === "production") {
      // Every client of every NATS server speaks TLS: the services (trusting the CA through
      // NODE_EXTRA_CA_CERTS, their code unchanged), the providers; and the routes do too.
      // A client signs in to one server, picked at random: a server may have none at a given moment, the cluster not.
      let clients = 0;
      for (const url of k.natsMonitorUrls) {
        const connz = (await getJson(`${url}/connz?auth=true`)) as { connections: Array<{ name?: string; authorized_user?: string; tls_version?: string }> };
        clients += connz.connections.length;
        for (const c of connz.connections) expect({ user: c.authorized_user, tls: c.tls_version }).toEqual({ user: c.authorized_user, tls: expect.stringMatching(/^1\.[23]$/) });
        // The routes: each server requires TLS on them (routez does not say a route's TLS; the server test shows a server of another CA is refused).
        expect(((await getJson(`${url}/varz`)) as { cluster: { tls_required?: boolean } }).cluster.tls_required).toBe(true);
      }
      expect(clients).toBeGreaterThan(0);
    }
    // The namespace enforces Pod Security "restricted" (the stack labels one it creates): the API
    // server refuses a pod that is not (a dry run), and admitted every pod of the stack.
    const ns = await k.cluster.get("Namespace", k.namespace);
    expect(ns.metadata.labels).toMatchObject(RESTRICTED_NAMESPACE_LABELS);
    const plain = { apiVersion: "v1", kind: "Pod", metadata: { name: "not-restricted", namespace: k.namespace }, spec: { containers: [{ name: "c", image: "busybox" }] } };
    const refused = await k.cluster.request("POST", `/api/v1/namespaces/${k.namespace}/pods?dryRun=All`, plain, "application/json");
    expect({ status: refused.status, message: String(refused.body?.message) }).toMatchObject({ status: 403, message: expect.stringMatching(/violates PodSecurity "restricted:/) });
    const pods = await k.cluster.list("Pod", k.namespace);
    expect(pods.length).toBe(natsPods + 2 * podsEach);
    for (const p of pods) expect({ pod: p.metadata.name, account: p.spec.serviceAccountName, token: p.spec.automountServiceAccountToken }).toEqual({ pod: p.metadata.name, account: expect.stringMatching(/^(nats|normalize-service|ingest-service)$/), token: false });
  }, 600_000);

  if (name === "production") {
    it("a server that reaches the NATS pods' cluster port without the route user's credentials does not join the cluster", async () => {
      const varz = (await getJson(`${k.natsMonitorUrls[0]}/varz`)) as { cluster: { name: string; cluster_port: number } };
      const routesOf = async (url: string) => ((await getJson(`${url}/routez`)) as { routes?: Array<{ remote_name: string }> }).routes ?? [];
      // The control: the cluster's own servers route to each other, with the credentials routes.conf gives them.
      for (const url of k.natsMonitorUrls) expect(new Set((await routesOf(url)).map((r) => r.remote_name)).size).toBe(2);
      const rogue = await startServer({
        name: "rogue",
        extraConfig: `cluster {\n  name: ${JSON.stringify(varz.cluster.name)}\n  listen: "127.0.0.1:${await freePort()}"\n  routes: ["nats-route://127.0.0.1:${varz.cluster.cluster_port}"]\n}`,
      });
      try {
        await sleep(5_000); // it solicits the route at once, and again every second
        // Judged where the credentials are checked: the cluster's servers list a route only once it signed in.
        for (const url of k.natsMonitorUrls) expect((await routesOf(url)).map((r) => r.remote_name)).not.toContain("rogue");
      } finally {
        await rogue.stop();
      }
    }, 120_000);
  }

  it("a second preview plans nothing, and neither does one after refresh; nor one signed in as the read-only preview user", async () => {
    await k.stack.ok(["preview", "--expect-no-changes"]);
    // The pull request's preview job: the preview user's password, not the admin's. The program's
    // look, the providers' reads and the plugin's dry runs all work; the plan is the same.
    await k.stack.ok(["preview", "--expect-no-changes"], { env: k.asPreview });
    await k.stack.ok(["refresh", "--yes"]);
    await k.stack.ok(["preview", "--expect-no-changes"]);
  }, 360_000);

  it(`a flag flip (${flip.env} -> ${flip.to}) previews as an update of the flags ConfigMap and the Deployments, no replace; up rolls the pods onto it`, async () => {
    await k.stack.ok(["config", "set", flip.key, flip.value]);
    // Previewed as the pull request's job previews it: signed in as the read-only user.
    const text = await k.stack.ok(["preview", "--diff"], { env: k.asPreview });
    console.log(`${name}: the flag flip's preview (pulumi preview --diff)\n${text.stdout}`);
    const planned = plannedSteps((await k.stack.ok(["preview", "--json"])).stdout);
    // The namespace is read on every run (it must exist); everything else is the same or updated.
    const changed = planned.filter(([op]) => op !== "same" && op !== "read");
    expect(changed.filter(([op]) => REPLACES.has(op))).toEqual([]);
    expect(changed).toEqual(expect.arrayContaining([["update", "event-bus-flags"], ["update", "event-bus-normalize-service"], ["update", "event-bus-ingest-service"]]));
    expect(changed.every(([op, n]) => op === "update" && /^event-bus-(flags|normalize-service|ingest-service)$/.test(n))).toBe(true);
    const before = new Set((await k.cluster.list("Pod", k.namespace, "app=normalize-service")).map((p: any) => p.metadata.name));
    // An up with only the preview identity stops before anything changes, naming the key.
    const refused = await k.stack.run(["up", "--yes"], { env: k.asPreview });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain("event-bus:nats.passwordEnv: expected EVENT_BUS_NATS_ADMIN_PASSWORD to be set for an update: only EVENT_BUS_NATS_PREVIEW_PASSWORD is, whose user (event-bus-preview) may only read");
    expect((await k.cluster.get("ConfigMap", "event-bus-config", k.namespace)).data[flip.env]).not.toBe(flip.to);
    await k.stack.ok(["up", "--yes"]);
    const cm = await k.cluster.get("ConfigMap", "event-bus-config", k.namespace);
    expect(cm.data[flip.env]).toBe(flip.to);
    // Every pod that ran before the flip is gone once its process has exited; as many run on the new flags.
    await waitForPods(k.agent, k.cluster, k.namespace, "app=normalize-service", podsEach);
    const gone = await poll({ timeoutMs: 30_000, intervalMs: 250 }, async () => {
      const names = (await k.cluster.list("Pod", k.namespace, "app=normalize-service")).map((p: any) => p.metadata.name as string);
      return names.some((p) => before.has(p)) ? undefined : names;
    });
    expect(gone).toHaveLength(podsEach);
    expect(k.agent.crashes()).toEqual([]);
    await k.stack.ok(["preview", "--expect-no-changes"]);
  }, 480_000);

  if (name === "staging") {
    it("destroy removes every object, the durables and streams (after forceDelete is stored: they hold messages) and the namespace", async () => {
      // The services go first; what ingest published after normalize stopped is still pending.
      const refused = await k.stack.run(["destroy", "--yes"]);
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(/normalize-hrv-durable on stream AA_CORE_HOT: has \d+ messages not yet delivered.*forceDelete/s);
      await k.stack.ok(["config", "set", "event-bus:forceDelete", "true"]);
      await k.stack.ok(["up", "--yes"]);
      await k.stack.ok(["destroy", "--yes"]);
      expect(plannedOps((await k.stack.ok(["preview", "--json"])).stdout).create).toBeGreaterThan(10);
      expect(await k.cluster.get("Namespace", k.namespace)).toBeUndefined();
    }, 600_000);
  } else {
    it("destroy is refused by protection: the streams, the NATS StatefulSet, the passwords and their Secrets stay", async () => {
      const destroy = await k.stack.run(["destroy", "--yes"]);
      expect(destroy.code).not.toBe(0);
      expect(destroy.stdout + destroy.stderr).toMatch(/protect/);
      const state = JSON.parse((await k.stack.ok(["stack", "export"])).stdout) as { deployment: { resources: Array<{ urn: string; protect?: boolean }> } };
      const protectedOnes = state.deployment.resources.filter((r) => r.protect).map((r) => r.urn.split("$").pop());
      expect(protectedOnes).toEqual(
        expect.arrayContaining([
          "pulumi-nodejs:dynamic/event-bus:Stream::event-bus-stream-legacy",
          "kubernetes:apps/v1:StatefulSet::event-bus-nats",
          // ingest's carried-over password, in the Secret the stack makes for it
          "kubernetes:core/v1:Secret::event-bus-event-bus-nats-ingest",
          "kubernetes:core/v1:Secret::event-bus-event-bus-nats-passwords",
        ]),
      );
      // The admin, preview and normalize passwords are nowhere in the state (it holds their hashes),
      // nor in anything the CLI printed: what a preview can decrypt does not sign in as admin or normalize.
      const exported = (await k.stack.ok(["stack", "export", "--show-secrets"])).stdout;
      expect(exported).toContain("EVENT_BUS_NATS_ADMIN_PASSWORD");
      expect(JSON.parse(exported).deployment.resources.filter((r: { type: string }) => r.type === "random:index/randomPassword:RandomPassword").map((r: { urn: string }) => r.urn.split("::").pop())).toEqual(["event-bus-nats-route-password"]);
      for (const secret of [k.passwords.admin, k.passwords.preview, k.passwords.normalize!]) {
        expect(exported.includes(secret)).toBe(false);
        expect(k.stack.transcript.join("\n").includes(secret)).toBe(false);
      }
      expect(Object.keys(await streamsOf(k)).sort()).toEqual(["AA_CORE_HOT", "AA_DLQ", "AA_VENDOR_HOT", "ATHLETE_ALLY_EVENTS"]);
      expect(await k.cluster.get("StatefulSet", "nats", k.namespace)).toBeDefined();
      expect(await k.cluster.get("Secret", "event-bus-nats-ingest", k.namespace)).toBeDefined();
      expect(await k.cluster.get("Secret", "event-bus-nats-admin", k.namespace)).toBeUndefined();
    }, 480_000);
  }
});
