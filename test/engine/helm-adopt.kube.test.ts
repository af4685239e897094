/**
 * Taking over a NATS cluster the stack did not build (issue 29), under the real engine and the real
 * Kubernetes plugin, on a control plane whose pods run as processes. The live system is written
 * independently of the stack's code:
 * - the official NATS Helm chart's objects for the release `production-nats`
 *   (test/fixtures/helm-chart-nats.ts, from the chart's templates: its names and labels, the claim
 *   template `production-nats-js` mounted at /data with store_dir /data, the Services, the config
 *   reloader, the disruption budget), R3, applied by Helm's field manager, with no authorization;
 * - the seeds' streams and durables made by the `nats` CLI as create-streams.js and
 *   create-consumers.js make them: the legacy stream with its two durables, AA_DLQ from phase 0,
 *   and AA_VENDOR_HOT made ahead of its phase (it exists, and claims no subject yet);
 * - the seeds' services as their documents deploy them (test/fixtures/seeds-services.ts): the
 *   `event-bus-config` ConfigMap, normalize-service and ingest-service connecting **without
 *   credentials** to nats://production-nats:4222, and the runbook's `kubectl set env` leftover;
 * - an unknown client that publishes without credentials the whole time.
 *
 * The stack describes the cluster as it is (kubernetes.nats.layout preset helm-chart) and lets
 * clients without credentials in (anonymousClients allow). Its first preview stops on the
 * leftover, naming the command that removes it; then it looks at the bus without credentials, and
 * plans imports and updates, no replace. The up keeps every uid, every claim and every message;
 * while the NATS pods roll, no stream is without a leader for longer than one pod is out; the
 * unknown client never stops publishing and is named by `npm run anonymous-clients`. Then the
 * migration runs 0 -> 1 -> 2 on the adopted cluster, and a last roll requires route
 * authorization (the takeover's second stage for routes) with every stream keeping its leader:
 * 0 lost, 0 processed twice, the refused publishes and waits within the walk's bounds.
 */
import { execFileSync } from "node:child_process";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { closeConnections } from "../../components/jetstream/client";
import { poll, sleep } from "../../components/poll";
import { listAnonymousClients } from "../../scripts/lib/anonymous-clients";
import { readRecords } from "../doubles/records";
import { handOverCommands } from "../../components/kubernetes/foreign-fields";
import { helmChartNats } from "../fixtures/helm-chart-nats";
import { seedsServices } from "../fixtures/seeds-services";
import { kubeStack, type KubeStack } from "../helpers/kube-stack";
import { addLegacyStreamAsSeeds } from "../helpers/seeds-streams";
import { NATS_CLI_BIN, TOOLS_BIN } from "../helpers/nats-servers";
import { waitForPods } from "../helpers/pod-agent";
import { watchRoll } from "../helpers/roll-watch";
import { stopPublishing, WALK_BOUNDS } from "../migration/production-run";
import { formatRows, overBounds, stepRows, type StepWindow } from "../migration/walk";

const RELEASE = "production-nats";
/** The live cluster as the stack describes it. */
const NATS = { replicas: 3, storageSize: "10Gi", layout: { preset: "helm-chart", helmRelease: RELEASE }, anonymousClients: "allow" };
const SELECTOR = `app.kubernetes.io/instance=${RELEASE}`;
const HRV = "athlete-ally.hrv.raw-received";
const REPLACES = new Set(["replace", "create-replacement", "delete-replaced"]);
/** The R3 streams on the live bus before the stack. */
const STREAMS = ["ATHLETE_ALLY_EVENTS", "AA_DLQ", "AA_VENDOR_HOT"];
/** What the chart and the seeds made that the stack takes over, by kind and name. */
const ADOPT = [
  "ConfigMap/production-nats-config",
  "Service/production-nats-headless",
  "Service/production-nats",
  "StatefulSet/production-nats",
  "PodDisruptionBudget/production-nats",
  "ConfigMap/event-bus-config",
  "Deployment/normalize-service",
  "Deployment/ingest-service",
  "Service/normalize-service",
  "Service/ingest-service",
];

describe("engine and Kubernetes provider - production takes over a NATS cluster the Helm chart made, and the seeds' services that connect without credentials", () => {
  let k: KubeStack;
  const uids: Record<string, string> = {};
  let claims: Record<string, string> = {};
  let unknown: NatsConnection | undefined;
  let watcher: NatsConnection | undefined;
  let publishing = true;
  const published = { ok: 0, retried: 0, failed: 0 };
  let publisher: Promise<void> | undefined;
  // The operators' own `nats`, without credentials, as on the live bus today.
  const nats = (...args: string[]) => execFileSync(NATS_CLI_BIN, ["--server", k.natsUrls.join(","), ...args], { stdio: "pipe" });
  const kubectl = (command: string) => execFileSync("bash", ["-c", command], { env: { ...process.env, PATH: `${TOOLS_BIN}:${process.env.PATH}`, KUBECONFIG: k.cluster.kubeconfig }, stdio: "pipe" }).toString();

  beforeAll(async () => {
    k = await kubeStack("production", {
      namespaceExists: true,
      natsStatefulSet: RELEASE,
      // The first stage of the takeover: clients without credentials still let in, routes carrying
      // the route user's credentials without the servers requiring them yet.
      // TLS's first stage too: the services get the CA, the servers stay plain (docs/RUNBOOK.md).
      kubernetes: { nats: { ...NATS, routeAuthorization: "offer", tls: { secretName: "nats-tls", stage: "trust" } }, adopt: ADOPT },
      overrides: { migrationPhase: 0, mode: "single", adoptExisting: true },
    });
    for (const o of helmChartNats(RELEASE, k.namespace)) await k.cluster.apply(o, { fieldManager: "helm" });
    await waitForPods(k.agent, k.cluster, k.namespace, SELECTOR, 3, 180_000);
    // The seeds' streams and durables, as create-streams.js and create-consumers.js made them:
    // AA_DLQ at phase 0, and AA_VENDOR_HOT ahead of its phase, holding none of the legacy
    // stream's subjects yet (the server refuses an overlap).
    await addLegacyStreamAsSeeds(nats);
    nats("stream", "add", "AA_DLQ", "--subjects", "dlq.>", "--storage", "file", "--max-age", "14d", "--replicas", "3", "--defaults");
    nats("stream", "add", "AA_VENDOR_HOT", "--subjects", "AA_VENDOR_HOT", "--storage", "file", "--max-age", "48h", "--replicas", "3", "--defaults");
    for (const [durable, filter] of [
      ["normalize-hrv-durable", HRV],
      ["normalize-oura", "vendor.oura.>"],
    ]) {
      nats("consumer", "add", "ATHLETE_ALLY_EVENTS", durable, "--pull", "--filter", filter, "--ack", "explicit", "--deliver", "all", "--max-deliver", "5", "--wait", "60s", "--max-pending", "1000", "--replay", "instant", "--defaults");
    }
    // The seeds' services, connecting without credentials, then the runbook's leftover.
    for (const o of seedsServices(k.namespace, RELEASE)) await k.cluster.apply(o, { fieldManager: "kubectl" });
    await waitForPods(k.agent, k.cluster, k.namespace, "app=normalize-service", 3, 120_000);
    await waitForPods(k.agent, k.cluster, k.namespace, "app=ingest-service", 3, 120_000);
    kubectl(`kubectl -n ${k.namespace} set env deployment/normalize-service EVENT_STREAM_MODE=multi`);
    for (const key of ADOPT) {
      const [kind, name] = key.split("/");
      uids[key] = (await k.cluster.get(kind, name, k.namespace)).metadata.uid;
    }
    claims = Object.fromEntries((await k.cluster.list("PersistentVolumeClaim", k.namespace)).map((c: any) => [c.metadata.name, c.metadata.uid]));
    // A client nobody listed: it publishes without credentials, retrying each event for up to 20 s.
    unknown = await connect({ servers: k.natsUrls, name: "unknown-script", reconnectTimeWait: 250, maxReconnectAttempts: -1 });
    const js = jetstream(unknown, { timeout: 2_000 });
    publisher = (async () => {
      for (let n = 0; publishing; n++) {
        let tries = 0;
        const ack = await poll({ timeoutMs: 20_000, intervalMs: 100 }, () => (tries++, js.publish("sleep.night", `unknown-${n}`, { msgID: `unknown-${n}` }).catch(() => undefined)));
        if (ack) published.ok++;
        else published.failed++;
        if (tries > 1) published.retried++;
        await sleep(100);
      }
    })();
    watcher = await connect({ servers: k.natsUrls, name: "roll-watch", reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  }, 600_000);
  afterAll(async () => {
    publishing = false;
    await publisher;
    await unknown?.close();
    await watcher?.close();
    await closeConnections();
    await k?.stop();
  });

  it("the first preview stops on the leftover, then looks at the bus and plans no replace; the up keeps every object, claim, message and leader; the unknown client never stops and is named; then 0 -> 1 -> 2", async () => {
    await poll({ timeoutMs: 30_000, intervalMs: 200 }, () => (published.ok >= 20 ? true : undefined));
    // The seeds' services process on the live bus, without credentials, before the stack exists.
    const before = await poll({ timeoutMs: 60_000, intervalMs: 250 }, () => {
      const hrv = readRecords(k.agent.recordsDir).filter((r) => r.t === "processed" && r.key === "hrv");
      return hrv.length >= 10 ? hrv.length : undefined;
    });
    expect(before).toBeDefined();

    // The leftover shadows a flag the stack manages: the preview stops, naming the command that removes it.
    const shadowed = await k.stack.run(["preview"]);
    expect(shadowed.code).not.toBe(0);
    const remove = /\((kubectl -n \S+ set env deployment\/normalize-service -c normalize-service EVENT_STREAM_MODE-)\)/.exec(shadowed.stdout + shadowed.stderr);
    expect(remove?.[1]).toBe(`kubectl -n ${k.namespace} set env deployment/normalize-service -c normalize-service EVENT_STREAM_MODE-`);
    kubectl(remove![1]);
    await waitForPods(k.agent, k.cluster, k.namespace, "app=normalize-service", 3, 120_000);

    // The chart's config reloader is the chart's field manager's: the stack's update would leave it
    // in the pods. The preview stops, naming the commands that hand the fields over (no pod rolls).
    const foreign = await k.stack.run(["preview"]);
    expect(foreign.code).not.toBe(0);
    const said0 = foreign.stdout + foreign.stderr;
    const commands = handOverCommands(k.namespace, "apps/v1", "StatefulSet", RELEASE);
    expect({ refusal: /container reloader of its pods is not the stack's/.test(said0), handOver: said0.includes(commands.join(" && ")) }).toEqual({ refusal: true, handOver: true });
    const podsBefore = (await k.cluster.list("Pod", k.namespace, SELECTOR)).map((p: any) => p.metadata.uid).sort();
    for (const c of commands) kubectl(c);
    await sleep(3_000); // a roll would have started
    expect((await k.cluster.list("Pod", k.namespace, SELECTOR)).map((p: any) => p.metadata.uid).sort()).toEqual(podsBefore);

    const messagesBefore = JSON.parse(nats("stream", "info", "ATHLETE_ALLY_EVENTS", "--json").toString()).state.messages as number;
    const streamsBefore = Object.fromEntries(STREAMS.map((name) => [name, JSON.parse(nats("stream", "info", name, "--json").toString()).state as { first_seq: number; last_seq: number }]));
    const preview = await k.stack.ok(["preview", "--diff"]);
    console.log(`helm-chart adoption preview\n${preview.stdout}`);
    // The look happened (without credentials: the stack's own are made by this update).
    expect(preview.stdout + preview.stderr).not.toMatch(/the bus was not looked at/);
    // The live nats.conf beside the stack's: the same store directory, cluster name and routes; users and the door added.
    const said = preview.stdout + preview.stderr;
    expect(said).toMatch(/nats\.conf of ConfigMap \S+\/production-nats-config, live beside the stack's/);
    expect(said).toMatch(/no_auth_user: live \(none\) -> stack event-bus-anonymous/);
    expect(said).not.toMatch(/store_dir: live|cluster\.name: live|cluster\.routes: live/);
    const steps = (JSON.parse((await k.stack.ok(["preview", "--json"])).stdout).steps ?? []) as Array<{ op: string; urn: string }>;
    expect(steps.filter((s) => REPLACES.has(s.op)).map((s) => s.urn)).toEqual([]);
    expect(steps.filter((s) => s.op === "import")).toHaveLength(ADOPT.length);

    const roll = watchRoll(k.cluster, k.namespace, SELECTOR, watcher!, STREAMS);
    const adoptedAt = Date.now();
    const windowsBefore: StepWindow[] = [{ label: "before the stack (no credentials)", startedAt: 0, upMs: 0, endsAt: adoptedAt }];
    await k.stack.ok(["up", "--yes"]);
    // The NATS pods rolled onto the stack's template, keeping the chart's selector.
    await waitForPods(k.agent, k.cluster, k.namespace, `${SELECTOR},app.kubernetes.io/part-of=event-bus`, 3, 240_000);
    const adoptUpMs = Date.now() - adoptedAt;
    windowsBefore.push({ label: "adoption up (phase 0)", startedAt: adoptedAt, upMs: adoptUpMs, endsAt: Number.MAX_SAFE_INTEGER });
    const watched = await roll.stop();
    for (const key of ADOPT) {
      const [kind, name] = key.split("/");
      expect({ key, uid: (await k.cluster.get(kind, name, k.namespace)).metadata.uid }).toEqual({ key, uid: uids[key] });
    }
    // The pods run the stack's template, not a merge with the chart's: no config reloader left behind
    // (a container the chart's field manager owned), every container restricted.
    const template = (await k.cluster.get("StatefulSet", RELEASE, k.namespace)).spec.template.spec;
    expect(template.containers.map((c: any) => c.name)).toEqual(["nats", "nats-exporter"]);
    // Every JetStream volume is the one it was (no claim made again under another template name).
    expect(Object.fromEntries((await k.cluster.list("PersistentVolumeClaim", k.namespace)).map((c: any) => [c.metadata.name, c.metadata.uid]))).toEqual(claims);
    // Every stream kept what it held (the same first sequence, nothing lost off its end), on three peers.
    for (const name of STREAMS) {
      const info = JSON.parse(nats("stream", "info", name, "--json").toString());
      expect({ name, first: info.state.first_seq, lastAtLeast: info.state.last_seq >= streamsBefore[name].last_seq, peers: info.cluster.replicas?.length ?? 0 }).toEqual({ name, first: streamsBefore[name].first_seq, lastAtLeast: true, peers: 2 });
    }
    expect(JSON.parse(nats("stream", "info", "ATHLETE_ALLY_EVENTS", "--json").toString()).state.messages).toBeGreaterThan(messagesBefore);
    // Each NATS pod was out once, one at a time, and no stream was without a leader for longer than one pod was out.
    const out = (w: { from: number; to: number }) => `${Math.round(w.from - adoptedAt)}..${Math.round(w.to - adoptedAt)} ms`;
    console.log(
      `helm-chart adoption, NATS roll (${watched.samples} samples every 250 ms):\n` +
        `  pods out: ${watched.pods.map((w) => `${w.name} ${w.ms} ms (${out(w)})`).join(", ")}\n` +
        `  streams without a leader: ${watched.leaderless.map((w) => `${w.name} ${w.ms} ms (${out(w)})`).join(", ") || "none"}`,
    );
    expect([...new Set(watched.pods.map((w) => w.name))].sort()).toEqual([0, 1, 2].map((i) => `${RELEASE}-${i}`));
    const longestPodOut = Math.max(...watched.pods.map((w) => w.ms));
    for (const w of watched.leaderless) expect({ stream: w.name, leaderlessMs: w.ms, withinOnePodOut: w.ms <= longestPodOut }).toEqual({ stream: w.name, leaderlessMs: w.ms, withinOnePodOut: true });
    // How much the pods' sampled windows overlapped (each bound is loose by one sample): printed, not
    // judged; the streams' leaders above are what the roll must keep.
    const sorted = [...watched.pods].sort((a, b) => a.from - b.from);
    console.log(`helm-chart adoption, NATS roll: sampled overlap of consecutive pods' windows ${sorted.slice(1).map((w, i) => `${Math.max(0, sorted[i].to - w.from)} ms`).join(", ")}`);

    // The unknown client went on publishing through the roll, and is named, by its connection.
    const okAfterRoll = published.ok;
    await poll({ timeoutMs: 30_000, intervalMs: 200 }, () => (published.ok >= okAfterRoll + 10 ? true : undefined));
    expect(published.failed).toBe(0);
    const listed = await listAnonymousClients(k.natsMonitorUrls);
    expect(listed.map((c) => c.name)).toContain("unknown-script");
    // The seeds' services now sign in with the stack's credentials: once the old pods have drained
    // and gone, none of their pods connects without.
    const stillAnonymous = await poll({ timeoutMs: 90_000, intervalMs: 500 }, async () => {
      const names = (await listAnonymousClients(k.natsMonitorUrls)).map((c) => c.name).filter((n) => /^(normalize|ingest)-service/.test(n));
      return names.length ? undefined : names;
    });
    expect(stillAnonymous).toEqual([]);
    console.log(`helm-chart adoption: unknown client ${published.ok} published, ${published.retried} needed a retry (the NATS pods' roll), ${published.failed} failed; listed: ${listed.map((c) => `${c.name}@${c.server}`).join(", ")}`);
    await waitForPods(k.agent, k.cluster, k.namespace, "app=normalize-service", 3, 120_000);
    expect(k.agent.crashes()).toEqual([]);

    // Route authorization is offered, not required, by the adoption's roll: old and new servers route to each other.
    const routesConf = Buffer.from((await k.cluster.get("Secret", "event-bus-nats-passwords", k.namespace)).data["routes.conf"], "base64").toString();
    expect({ required: /^authorization /m.test(routesConf), withCredentials: /"nats:\/\/event-bus-route:[^@"]+@production-nats-0\.production-nats-headless:6222"/.test(routesConf) }).toEqual({ required: false, withCredentials: true });

    // Then the migration on the adopted cluster, 0 -> 1 -> 2, with the services running as the seeds' code behaves.
    const windows: StepWindow[] = [...windowsBefore];
    for (let i = 0; i + 1 < windows.length; i++) windows[i].endsAt = windows[i + 1].startedAt;
    for (const phase of [1, 2]) {
      await sleep(2_000); // traffic flows in each phase
      k.configure({ migrationPhase: phase, mode: "multi", adoptExisting: true });
      const startedAt = Date.now();
      await k.stack.ok(["up", "--yes", "--skip-preview"]);
      windows.at(-1)!.endsAt = startedAt;
      windows.push({ label: `${phase - 1} -> ${phase}`, startedAt, upMs: Date.now() - startedAt, endsAt: Number.MAX_SAFE_INTEGER });
    }
    // The takeover's second stage for routes: route authorization required, one more roll of the
    // NATS pods (in lame duck, as the kubelet stops them), every server already sending the route
    // user's credentials. The streams keep their leaders, and JetStream answers after it.
    await sleep(2_000);
    k.configure({ migrationPhase: 2, mode: "multi", adoptExisting: true, kubernetes: { nats: { routeAuthorization: "require" } } });
    const requireRoll = watchRoll(k.cluster, k.namespace, SELECTOR, watcher!, STREAMS);
    const requiredAt = Date.now();
    await k.stack.ok(["up", "--yes", "--skip-preview"]);
    windows.at(-1)!.endsAt = requiredAt;
    windows.push({ label: "route authorization required", startedAt: requiredAt, upMs: Date.now() - requiredAt, endsAt: Number.MAX_SAFE_INTEGER });
    const required = await requireRoll.stop();
    console.log(
      `route authorization required, NATS roll (${required.samples} samples every 250 ms):\n` +
        `  pods out: ${required.pods.map((w) => `${w.name} ${w.ms} ms`).join(", ")}\n` +
        `  streams without a leader: ${required.leaderless.map((w) => `${w.name} ${w.ms} ms`).join(", ") || "none"}`,
    );
    const routesRequired = Buffer.from((await k.cluster.get("Secret", "event-bus-nats-passwords", k.namespace)).data["routes.conf"], "base64").toString();
    expect(/^authorization /m.test(routesRequired)).toBe(true);
    const longestOut = Math.max(...required.pods.map((w) => w.ms));
    for (const w of required.leaderless) expect({ stream: w.name, leaderlessMs: w.ms, withinOnePodOut: w.ms <= longestOut }).toEqual({ stream: w.name, leaderlessMs: w.ms, withinOnePodOut: true });
    for (const name of STREAMS) expect({ name, leader: Boolean(JSON.parse(nats("stream", "info", name, "--json").toString()).cluster?.leader) }).toEqual({ name, leader: true });
    await sleep(2_000);
    const records = await stopPublishing(k);
    const rows = stepRows(records, k.agent.events, windows);
    console.log(`helm-chart cluster, its adoption and after:\n${formatRows(rows)}`);
    // The durables here are the seeds' (create-consumers.js: ack wait 60 s, which the stack keeps:
    // NORMALIZE_HRV_ACK_WAIT_MS): a delivery a stopped normalize pod held comes back after one
    // ack wait, not after the walk's 10 s.
    const bounds = { ...WALK_BOUNDS, longestWaitMs: 60_000 + 15_000 };
    // The adoption's roll restarts the NATS servers: an acknowledgement a reader sent to a server as
    // it stopped is lost, and the message comes again (at least once, explained as "redelivered").
    // The migration's steps process each event once.
    const rollsNats = (row: (typeof rows)[number]) => row.step === "adoption up (phase 0)" || row.step === "route authorization required";
    for (const row of rows) {
      const twice = rollsNats(row) && /^\d+ redelivered$/.test(row.twiceWhy) ? 0 : row.twice;
      expect({ step: row.step, lost: row.lost, twice, crashes: row.crashes, over: overBounds(row, bounds) }).toEqual({ step: row.step, lost: 0, twice: 0, crashes: 0, over: [] });
    }
    expect(published.failed).toBe(0);
  }, 1_200_000);
});
