/**
 * Taking over a NATS cluster the stack did not build (issue 29), under the real engine and the real
 * Kubernetes plugin, on a control plane whose pods run as processes. The live system is written
 * independently of the stack's code: the official NATS Helm chart's objects for the release
 * `production-nats` (test/fixtures/helm-chart-nats.ts, from the chart's templates: its names and
 * labels, the claim template `production-nats-js` mounted at /data with store_dir /data, the
 * Services, the config reloader, the disruption budget), R3, applied by Helm's field manager; no
 * authorization, so every client connects without credentials; the seeds' legacy stream made by
 * the `nats` CLI as create-streams.js makes it; and an unknown client that publishes without
 * credentials the whole time.
 *
 * The stack describes the cluster as it is (kubernetes.nats.layout preset helm-chart) and lets
 * clients without credentials in (anonymousClients allow): its first preview looks at the bus
 * without credentials, and plans imports and updates, no replace; the up keeps every uid, every
 * claim and the stream's messages; the unknown client never stops publishing and is named by
 * `npm run anonymous-clients`. Then the migration runs 0 -> 1 -> 2 on the adopted cluster: 0 lost,
 * 0 processed twice, the refused publishes and waits within the walk's bounds.
 */
import { execFileSync } from "node:child_process";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { closeConnections } from "../../components/jetstream/client";
import { poll, sleep } from "../../components/poll";
import { listAnonymousClients } from "../../scripts/lib/anonymous-clients";
import { helmChartNats } from "../fixtures/helm-chart-nats";
import { kubeStack, type KubeStack } from "../helpers/kube-stack";
import { addLegacyStreamAsSeeds } from "../helpers/seeds-streams";
import { NATS_CLI_BIN } from "../helpers/nats-servers";
import { waitForPods } from "../helpers/pod-agent";
import { stopPublishing, WALK_BOUNDS } from "../migration/production-run";
import { formatRows, overBounds, stepRows, type StepWindow } from "../migration/walk";

const RELEASE = "production-nats";
const SELECTOR = `app.kubernetes.io/instance=${RELEASE}`;
const REPLACES = new Set(["replace", "create-replacement", "delete-replaced"]);
/** What the chart made that the stack takes over, by kind and name. */
const ADOPT = ["ConfigMap/production-nats-config", "Service/production-nats-headless", "Service/production-nats", "StatefulSet/production-nats", "PodDisruptionBudget/production-nats"];

describe("engine and Kubernetes provider - production takes over a NATS cluster the Helm chart made, clients without credentials included", () => {
  let k: KubeStack;
  const uids: Record<string, string> = {};
  let claims: Record<string, string> = {};
  let unknown: NatsConnection | undefined;
  let publishing = true;
  const published = { ok: 0, retried: 0, failed: 0 };
  let publisher: Promise<void> | undefined;
  // The operators' own `nats`, without credentials, as on the live bus today.
  const nats = (...args: string[]) => execFileSync(NATS_CLI_BIN, ["--server", k.natsUrls.join(","), ...args], { stdio: "pipe" });

  beforeAll(async () => {
    k = await kubeStack("production", {
      namespaceExists: true,
      natsStatefulSet: RELEASE,
      kubernetes: { nats: { replicas: 3, storageSize: "10Gi", layout: { preset: "helm-chart", helmRelease: RELEASE }, anonymousClients: "allow" }, adopt: ADOPT },
      overrides: { migrationPhase: 0, mode: "single", adoptExisting: true },
    });
    for (const o of helmChartNats(RELEASE, k.namespace)) await k.cluster.apply(o, { fieldManager: "helm" });
    await waitForPods(k.agent, k.cluster, k.namespace, SELECTOR, 3, 180_000);
    await addLegacyStreamAsSeeds(nats);
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
  }, 600_000);
  afterAll(async () => {
    publishing = false;
    await publisher;
    await unknown?.close();
    await closeConnections();
    await k?.stop();
  });

  it("the first preview looks at the bus and plans no replace; the up keeps every object, claim and message; the unknown client never stops and is named", async () => {
    await poll({ timeoutMs: 30_000, intervalMs: 200 }, () => (published.ok >= 20 ? true : undefined));
    const messagesBefore = JSON.parse(nats("stream", "info", "ATHLETE_ALLY_EVENTS", "--json").toString()).state.messages as number;

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

    await k.stack.ok(["up", "--yes"]);
    for (const key of ADOPT) {
      const [kind, name] = key.split("/");
      expect({ key, uid: (await k.cluster.get(kind, name, k.namespace)).metadata.uid }).toEqual({ key, uid: uids[key] });
    }
    // Every JetStream volume is the one it was (no claim made again under another template name).
    expect(Object.fromEntries((await k.cluster.list("PersistentVolumeClaim", k.namespace)).map((c: any) => [c.metadata.name, c.metadata.uid]))).toEqual(claims);
    // The NATS pods rolled onto the stack's template, keeping the chart's selector.
    await waitForPods(k.agent, k.cluster, k.namespace, `${SELECTOR},app.kubernetes.io/part-of=event-bus`, 3, 240_000);
    const info = JSON.parse(nats("stream", "info", "ATHLETE_ALLY_EVENTS", "--json").toString());
    expect(info.state.first_seq).toBe(1);
    expect(info.state.messages).toBeGreaterThan(messagesBefore);
    expect(info.cluster.replicas?.length ?? 0).toBe(2);

    // The unknown client went on publishing through the roll, and is named, by its connection.
    const okAfterRoll = published.ok;
    await poll({ timeoutMs: 30_000, intervalMs: 200 }, () => (published.ok >= okAfterRoll + 10 ? true : undefined));
    expect(published.failed).toBe(0);
    const listed = await listAnonymousClients(k.natsMonitorUrls);
    expect(listed.map((c) => c.name)).toContain("unknown-script");
    console.log(`helm-chart adoption: unknown client ${published.ok} published, ${published.retried} needed a retry (the NATS pods' roll), ${published.failed} failed; listed: ${listed.map((c) => `${c.name}@${c.server}`).join(", ")}`);
    // The stack's own services sign in with their credentials.
    await waitForPods(k.agent, k.cluster, k.namespace, "app=normalize-service", 3, 120_000);
    expect(k.agent.crashes()).toEqual([]);

    // Then the migration on the adopted cluster, 0 -> 1 -> 2, with the services running as the seeds' code behaves.
    const windows: StepWindow[] = [{ label: "adopted, phase 0", startedAt: 0, upMs: 0, endsAt: Date.now() }];
    for (const phase of [1, 2]) {
      await sleep(2_000); // traffic flows in each phase
      k.configure({ migrationPhase: phase, mode: "multi", adoptExisting: true });
      const startedAt = Date.now();
      await k.stack.ok(["up", "--yes", "--skip-preview"]);
      windows.at(-1)!.endsAt = startedAt;
      windows.push({ label: `${phase - 1} -> ${phase}`, startedAt, upMs: Date.now() - startedAt, endsAt: Number.MAX_SAFE_INTEGER });
    }
    await sleep(2_000);
    const records = await stopPublishing(k);
    const rows = stepRows(records, k.agent.events, windows.slice(1));
    console.log(`helm-chart cluster, after its adoption:\n${formatRows(rows)}`);
    for (const row of rows) {
      expect({ step: row.step, lost: row.lost, twice: row.twice, crashes: row.crashes, over: overBounds(row, WALK_BOUNDS) }).toEqual({ step: row.step, lost: 0, twice: 0, crashes: 0, over: [] });
    }
    expect(published.failed).toBe(0);
  }, 900_000);
});
