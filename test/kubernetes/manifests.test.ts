/**
 * The Kubernetes objects of each stack: valid against the Kubernetes schema (offline, through
 * kubernetes-models), wired as the seeds describe, and free of secrets.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigMap, Service, ServiceAccount } from "kubernetes-models/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodMonitor, PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Certificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1";
import pins from "../../versions.json";
import { allManifests } from "../../components/kubernetes/manifests";
import { canarySplit, DURABLES_ANNOTATION } from "../../components/kubernetes/service-deployments";
import { NATS_SERVER_VERSION } from "../../components/versions";
import { renderStack } from "../../scripts/render";
import { seedsFlags } from "../fixtures/seeds-services";
import { render } from "../helpers/render";
import { stackConfigFile } from "../helpers/stack-files";

/**
 * The flags digest as flags.ts promises it, computed here and not by flagsChecksum: sha256 (hex)
 * of the `KEY=value` lines, sorted by key, joined by newlines.
 */
const sha256OfFlags = (data: Record<string, string>) =>
  createHash("sha256")
    .update(
      Object.entries(data)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${k}=${v}`)
        .join("\n"),
    )
    .digest("hex");

const MODELS: Record<string, new (o: any) => { validate(): void }> = { ServiceAccount, ConfigMap, Service, Deployment, StatefulSet, PodDisruptionBudget, NetworkPolicy, PrometheusRule, PodMonitor, Certificate };

describe.each(["staging", "production"])("kubernetes - %s", (stack) => {
  const replicas = stack === "production" ? 3 : 1;
  /** The seeds' flags (test/fixtures/seeds-services.ts), with what this stack's file sets: its mode and the HRV durable's settings. */
  const SEEDS_FLAGS = {
    ...seedsFlags("nats"),
    EVENT_STREAM_MODE: stack === "production" ? "single" : "multi",
    NORMALIZE_HRV_DURABLE: "normalize-hrv-durable",
    NORMALIZE_HRV_MAX_DELIVER: "5",
    NORMALIZE_HRV_DLQ_SUBJECT: "dlq.normalize.hrv.raw-received",
    NORMALIZE_HRV_ACK_WAIT_MS: "60000",
    HRV_BATCH_SIZE: "10",
    HRV_EXPIRES_MS: "5000",
    HRV_IDLE_BACKOFF_MS: "50",
  };

  it("every object validates against the Kubernetes schema", () => {
    for (const o of allManifests(render(stack).m)) {
      expect(() => new MODELS[o.kind!](o).validate()).not.toThrow();
    }
  });

  it("every pod runs as Pod Security \"restricted\" requires, as its own ServiceAccount, without a token; the namespace enforces it; the monitoring port is off the client Service", () => {
    const { m } = render(stack);
    const accounts = new Set([m.natsServiceAccount, ...m.serviceAccounts].map((a) => a.metadata!.name));
    for (const w of [m.natsStatefulSet, ...m.deployments]) {
      const pod = w.spec!.template.spec!;
      // The restricted profile's rules (pod-security-standards), field by field.
      expect({ workload: w.metadata!.name, account: accounts.has(pod.serviceAccountName), token: pod.automountServiceAccountToken, nonRoot: pod.securityContext?.runAsNonRoot, uid: (pod.securityContext?.runAsUser ?? 0) > 0, seccomp: pod.securityContext?.seccompProfile?.type }).toEqual({
        workload: w.metadata!.name,
        account: true,
        token: false,
        nonRoot: true,
        uid: true,
        seccomp: "RuntimeDefault",
      });
      for (const c of pod.containers) {
        expect({ container: c.name, escalation: c.securityContext?.allowPrivilegeEscalation, drop: c.securityContext?.capabilities?.drop, add: c.securityContext?.capabilities?.add, privileged: c.securityContext?.privileged ?? false, readOnlyRoot: c.securityContext?.readOnlyRootFilesystem }).toEqual({
          container: c.name,
          escalation: false,
          drop: ["ALL"],
          add: undefined,
          privileged: false,
          readOnlyRoot: true,
        });
      }
      expect((pod.volumes ?? []).filter((v) => v.hostPath)).toEqual([]);
    }
    for (const a of [m.natsServiceAccount, ...m.serviceAccounts]) expect(a.automountServiceAccountToken).toBe(false);
    expect(m.natsClient.spec!.ports!.map((p) => p.name)).toEqual(["nats"]);
  });

  it("the NATS pods take clients only from the services and the peers named, routes only from each other, monitoring only from Prometheus; the client port stays open while clients without credentials are let in", () => {
    const policy = (kubernetes: Record<string, unknown> = {}) => render(stack, { kubernetes }).m.natsNetworkPolicy.spec!;
    const p = policy();
    expect(p.podSelector).toEqual({ matchLabels: { app: "nats" } });
    expect(p.policyTypes).toEqual(["Ingress"]);
    expect(p.ingress).toEqual([
      { from: [{ podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["normalize-service", "ingest-service"] }] } }], ports: [{ protocol: "TCP", port: 4222 }] },
      { from: [{ podSelector: { matchLabels: { app: "nats" } } }], ports: [{ protocol: "TCP", port: 6222 }] },
      { from: [{ namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }], ports: [{ protocol: "TCP", port: 8222 }, { protocol: "TCP", port: 7777 }] },
    ]);
    const ops = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ops" } } };
    expect(policy({ networkPolicy: { clients: [ops] } }).ingress![0].from).toEqual([p.ingress![0].from![0], ops]);
    expect(policy({ nats: { anonymousClients: "allow" } }).ingress![0]).toEqual({ ports: [{ protocol: "TCP", port: 4222 }] });
    expect(() => policy({ networkPolicy: { clients: [{ pods: {} }] } })).toThrow(/event-bus:kubernetes\.networkPolicy\.clients\[0\]: expected a NetworkPolicy peer/);
  });

  it(`runs ${replicas} NATS server(s) of the pinned release, routed through the headless Service`, () => {
    const { m } = render(stack);
    const sts = m.natsStatefulSet.spec!;
    expect(sts.replicas).toBe(replicas);
    expect(sts.template.spec!.containers[0].image).toBe(`nats:${NATS_SERVER_VERSION}-alpine`);
    expect(sts.serviceName).toBe("nats-headless");
    const conf = m.natsConfig.data!["nats.conf"];
    expect(conf).toContain("max_file_store: 10G");
    expect(conf.includes('"nats://nats-2.nats-headless:6222"')).toBe(replicas === 3);
    expect(sts.template.spec!.containers[0].lifecycle!.preStop!.exec!.command).toEqual(["nats-server", "-sl=ldm=/var/run/nats/nats.pid"]);
    expect(sts.template.spec!.containers[0].livenessProbe!.httpGet!.path).toBe("/healthz?js-enabled-only=true");
    expect(m.natsDisruptionBudget.spec!.maxUnavailable).toBe(1);
  });

  it("the flags ConfigMap holds exactly the seeds' settings", () => {
    const { config, m } = render(stack);
    expect(m.flags.metadata!.name).toBe("event-bus-config");
    expect(config.mode).toBe(SEEDS_FLAGS.EVENT_STREAM_MODE);
    expect(m.flags.data).toEqual(SEEDS_FLAGS);
  });

  it("normalize-service reads the flags ConfigMap and ingest-service gets the same flags in its pod template; passwords from Secrets; a flag change rolls both", () => {
    const { m } = render(stack);
    const names = m.deployments.map((d) => d.metadata!.name);
    expect(names).toEqual(["normalize-service", "ingest-service"]);
    const [normalize, ingest] = m.deployments.map((d) => d.spec!.template.spec!.containers[0]);
    expect(normalize.envFrom).toEqual([{ configMapRef: { name: "event-bus-config" } }]);
    expect(ingest.envFrom).toBeUndefined();
    const inline = Object.fromEntries(ingest.env!.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    for (const [k, v] of Object.entries(m.flags.data!)) expect({ k, v: inline[k] }).toEqual({ k, v });
    for (const d of m.deployments) {
      expect(d.spec!.replicas).toBe(replicas);
      const c = d.spec!.template.spec!.containers[0];
      expect(c.env!.find((e) => e.name === "NATS_PASSWORD")!.valueFrom!.secretKeyRef!.name).toMatch(stack === "production" ? /^event-bus-nats-(normalize|ingest)-external$/ : /^event-bus-nats-(normalize|ingest)$/);
      expect(d.spec!.strategy!.type).toBe("RollingUpdate");
    }
    // normalize rolls one pod at a time; ingest all at once, Ready within 2 s (the window its old pods' publishes are refused).
    expect(m.deployments.map((d) => [d.metadata!.name, d.spec!.strategy!.rollingUpdate, d.spec!.template.spec!.containers[0].readinessProbe!.periodSeconds])).toEqual([
      ["normalize-service", { maxUnavailable: 0, maxSurge: 1 }, 10],
      ["ingest-service", { maxUnavailable: 0, maxSurge: "100%" }, 2],
    ]);
    // The digest of exactly the flags this stack must have, written out: a digest of anything else
    // (a key left out, another serialisation) would not roll the pods when that part changes.
    const flags = SEEDS_FLAGS;
    expect(m.flags.data).toEqual(flags);
    const checksum = (d: (typeof m.deployments)[number]) => d.spec!.template.metadata!.annotations!["checksum/event-bus-config"];
    expect(checksum(m.deployments[0])).toBe(sha256OfFlags(flags));
    // Nothing changed, nothing rolls: the same stack renders the same digest.
    expect(checksum(render(stack).m.deployments[0])).toBe(checksum(m.deployments[0]));
    const ports = m.deployments.map((d) => d.spec!.template.spec!.containers[0].ports!.map((p) => p.containerPort));
    expect(ports).toEqual([
      [4102, 9464],
      [4101, 9464],
    ]);
    const changed = render(stack, { pullLoop: { batchSize: 20 } }).m;
    expect(checksum(changed.deployments[0])).not.toBe(checksum(m.deployments[0]));
    expect(checksum(changed.deployments[0])).toBe(sha256OfFlags({ ...flags, HRV_BATCH_SIZE: "20" }));
    expect(changed.deployments[1].spec!.template.spec!.containers[0].env!.find((e) => e.name === "HRV_BATCH_SIZE")!.value).toBe("20");
  });

  it("a durable that moves rolls normalize-service only; the core subjects moving roll ingest-service only, with NEW_TOPOLOGY_PERCENTAGE where they are", () => {
    const at = (phase: number) => render(stack, { migrationPhase: phase, mode: "multi" }).m.deployments;
    const durables = (d: ReturnType<typeof at>) => d[0].spec!.template.metadata!.annotations![DURABLES_ANNOTATION];
    const share = (d: ReturnType<typeof at>) => d[1].spec!.template.spec!.containers[0].env!.find((e) => e.name === "NEW_TOPOLOGY_PERCENTAGE")!.value;
    expect([0, 1, 2, 3].map((p) => durables(at(p)))).toEqual([
      "hrv=ATHLETE_ALLY_EVENTS,vendor=ATHLETE_ALLY_EVENTS",
      "hrv=ATHLETE_ALLY_EVENTS,vendor=AA_VENDOR_HOT",
      "hrv=AA_CORE_HOT,vendor=AA_VENDOR_HOT",
      "hrv=AA_CORE_HOT,vendor=AA_VENDOR_HOT",
    ]);
    expect([0, 1, 2, 3].map((p) => share(at(p)))).toEqual(["0", "0", "1", "1"]);
    expect(at(1)[1].spec!.template).toEqual(at(0)[1].spec!.template);
    expect(at(2)[0].spec!.template.metadata!.annotations!["checksum/event-bus-config"]).toBe(at(1)[0].spec!.template.metadata!.annotations!["checksum/event-bus-config"]);
  });

  it("refuses a NEW_TOPOLOGY_PERCENTAGE that would fail publishes, naming the key and the value the phase needs", () => {
    const k = (newTopologyPercent: number) => ({ kubernetes: { newTopologyPercent } });
    expect(() => render(stack, { migrationPhase: 1, mode: "multi", ...k(10) })).toThrow(/event-bus:kubernetes.newTopologyPercent: expected 0 in migrationPhase 1 .*ATHLETE_ALLY_EVENTS captures the core subjects .* 10% would fail 10% of them/);
    expect(() => render(stack, { migrationPhase: 2, mode: "multi", ...k(50) })).toThrow(/expected 100 in migrationPhase 2 .*AA_CORE_HOT/);
    expect(render(stack, { migrationPhase: 2, mode: "multi", ...k(100) }).m.deployments[1].spec!.template.spec!.containers[0].env!.find((e) => e.name === "NEW_TOPOLOGY_PERCENTAGE")!.value).toBe("1");
  });

  it("no ConfigMap holds a password; nats.conf only refers to the hashes' variables, from the passwords file it includes; the NATS pods get no password", () => {
    const { m } = render(stack);
    const conf = m.natsConfig.data!["nats.conf"];
    expect(conf).toContain(`include "../nats-passwords/passwords.conf"`);
    for (const u of m.users) expect(conf).toContain(`password: $PASSWORD_${u.name.toUpperCase()}`);
    const nats = m.natsStatefulSet.spec!.template.spec!.containers[0];
    expect(nats.env!.map((e) => e.name)).toEqual(["POD_NAME"]);
    expect(nats.volumeMounts!.find((v) => v.mountPath === "/etc/nats-passwords")).toMatchObject({ readOnly: true });
    expect(JSON.stringify([m.natsConfig, m.flags])).not.toMatch(/generated-|password"?:\s*"[^$]/);
  });
});

describe("kubernetes - the schema check is real", () => {
  it("rejects a Deployment with a wrong field type", () => {
    const d = structuredClone(render("staging").m.deployments[0]) as unknown as { spec: { replicas: unknown } };
    d.spec.replicas = "three";
    expect(() => new Deployment(d as never).validate()).toThrow(/replicas/);
  });
});

describe("kubernetes - the normalize canary", () => {
  it.each([
    [10, 10, { stable: 9, canary: 1 }],
    [10, 50, { stable: 5, canary: 5 }],
    [10, 100, { stable: 0, canary: 10 }],
    [3, 100, { stable: 0, canary: 3 }],
    [3, 0, { stable: 3, canary: 0 }],
  ])("%i pods at %i%%", (total, percent, split) => {
    expect(canarySplit(total, percent)).toEqual(split);
  });

  it.each([
    [3, 10],
    [3, 50],
    [9, 10],
  ])("refuses %i pods at %i%%: the share would not be exact", (total, percent) => {
    expect(() => canarySplit(total, percent)).toThrow(/event-bus:kubernetes.canaryPercent: .* is [\d.]+ pods; expected a share that is a whole number of pods/);
  });

  it("entering and leaving the canary keeps the main Deployment's selector, which is the seeds' own (app only)", () => {
    const selector = (percent: number) =>
      render("production", { kubernetes: { canaryPercent: percent, normalize: { image: "ghcr.io/athlete-ally/normalize-service", tag: "1.4.2", replicas: 10 } } }).m.deployments.map((d) => [d.metadata!.name, d.spec!.selector]);
    const main = { matchLabels: { app: "normalize-service" } };
    expect(selector(0)).toEqual([["normalize-service", main], ["ingest-service", { matchLabels: { app: "ingest-service" } }]]);
    expect(selector(10).slice(0, 2)).toEqual([["normalize-service", main], ["normalize-service-canary", { matchLabels: { app: "normalize-service", track: "canary" } }]]);
  });

  it("runs the seeds' 10% canary: one of ten pods with EVENT_STREAM_MODE=multi next to nine in single mode", () => {
    const { m } = render("production", { kubernetes: { canaryPercent: 10, normalize: { image: "ghcr.io/athlete-ally/normalize-service", tag: "1.4.2", replicas: 10 } } });
    const [stable, canary] = m.deployments;
    expect([stable.metadata!.name, stable.spec!.replicas, canary.metadata!.name, canary.spec!.replicas]).toEqual(["normalize-service", 9, "normalize-service-canary", 1]);
    expect(canary.spec!.template.spec!.containers[0].env).toContainEqual({ name: "EVENT_STREAM_MODE", value: "multi" });
    expect(stable.spec!.template.spec!.containers[0].env!.some((e) => e.name === "EVENT_STREAM_MODE")).toBe(false);
    expect(m.flags.data!.EVENT_STREAM_MODE).toBe("single");
    for (const d of [stable, canary]) expect(d.spec!.template.metadata!.labels!.app).toBe("normalize-service");
  });

  it("refuses a canary when the stack already runs multi mode, naming the key", () => {
    expect(() => render("staging", { kubernetes: { canaryPercent: 50 } })).toThrow(/event-bus:kubernetes.canaryPercent: a canary runs multi-mode pods next to single-mode ones; expected mode "single"/);
  });

  it("rejects bad Kubernetes settings with the key and what was expected", () => {
    expect(() => render("staging", { kubernetes: { canaryPercent: 30 } })).toThrow(/event-bus:kubernetes.canaryPercent: expected canaryPercent 0, 10, 50 or 100/);
    expect(() => render("staging", { kubernetes: { nats: { replicas: 2 } } })).toThrow(/event-bus:kubernetes.nats.replicas: expected 1, 3 or 5 NATS servers/);
    expect(() => render("staging", { kubernetes: { namespace: "Staging!" } })).toThrow(/event-bus:kubernetes.namespace: expected a namespace name/);
    expect(() => render("staging", { kubernetes: { nats: { routeAuthorization: "maybe" } } })).toThrow(/event-bus:kubernetes.nats.routeAuthorization: expected routeAuthorization "require" or "offer"/);
  });
});

describe("kubernetes - the render command", () => {
  it("writes each object of a stack as a YAML file, in apply order, and no password", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-render-"));
    try {
      const files = renderStack("production", out);
      expect(files.map((f) => path.basename(f))).toEqual([
        "01-serviceaccount-nats.yaml",
        "02-configmap-nats-config.yaml",
        "03-service-nats-headless.yaml",
        "04-service-nats.yaml",
        "05-statefulset-nats.yaml",
        "06-poddisruptionbudget-nats.yaml",
        "07-networkpolicy-nats.yaml",
        "08-configmap-event-bus-config.yaml",
        "09-serviceaccount-normalize-service.yaml",
        "10-serviceaccount-ingest-service.yaml",
        "11-deployment-normalize-service.yaml",
        "12-deployment-ingest-service.yaml",
        "13-service-normalize-service.yaml",
        "14-service-ingest-service.yaml",
        "15-configmap-event-bus-dashboard.yaml",
        "16-prometheusrule-event-bus-alerts.yaml",
        "17-podmonitor-nats.yaml",
        "18-podmonitor-normalize-service.yaml",
        "19-podmonitor-ingest-service.yaml",
      ]);
      const sts = parse(fs.readFileSync(files[4], "utf8"));
      expect(sts.spec.replicas).toBe(3);
      for (const f of files) expect(fs.readFileSync(f, "utf8")).not.toMatch(/stringData|generated-/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("kubernetes - alerts as code", () => {
  it.each(["staging", "production"])("%s has the alerts and PodMonitors by default, valid against the operator's schemas", (stack) => {
    const { m } = render(stack);
    expect(() => new PrometheusRule(m.alerts as never).validate()).not.toThrow();
    for (const pm of m.podMonitors!) expect(() => new PodMonitor(pm as never).validate()).not.toThrow();
    expect(m.podMonitors!.map((p) => `${p.metadata.name}:${p.spec.podMetricsEndpoints[0].port}`)).toEqual(["nats:prom-metrics", "normalize-service:metrics", "ingest-service:metrics"]);
    expect(allManifests(m).map((o) => o.kind).slice(-5)).toEqual(["ConfigMap", "PrometheusRule", "PodMonitor", "PodMonitor", "PodMonitor"]);
  });

  it("prometheusLabels go on the PrometheusRule and every PodMonitor, for the operator's selectors (kube-prometheus-stack's release label); a bad key is refused by name", () => {
    const { m } = render("production", { kubernetes: { prometheusLabels: { release: "kube-prometheus-stack" } } });
    for (const o of [m.alerts!, ...m.podMonitors!]) {
      expect({ name: o.metadata.name, labels: o.metadata.labels }).toEqual({ name: o.metadata.name, labels: expect.objectContaining({ release: "kube-prometheus-stack", "app.kubernetes.io/part-of": "event-bus" }) });
    }
    expect(() => new PrometheusRule(m.alerts as never).validate()).not.toThrow();
    expect(render("production").m.alerts!.metadata.labels).toEqual({ "app.kubernetes.io/part-of": "event-bus" });
    expect(() => render("production", { kubernetes: { prometheusLabels: { "not a key": "x" } } })).toThrow(/event-bus:kubernetes\.prometheusLabels\.not a key: expected a label key/);
    expect(() => render("production", { kubernetes: { prometheusLabels: { release: "-bad" } } })).toThrow(/event-bus:kubernetes\.prometheusLabels\.release: expected a label value/);
  });

  it("prometheusOperator: false turns the alerts and PodMonitors off, and keeps the dashboard", () => {
    const { m } = render("production", { kubernetes: { prometheusOperator: false } });
    expect(m.alerts).toBeUndefined();
    expect(m.podMonitors).toBeUndefined();
    expect(m.dashboard.metadata!.labels).toMatchObject({ grafana_dashboard: "1" });
  });

  it("which rules a stack gets follows its phase and canary", () => {
    const names = (stack: string, extra: Record<string, unknown> = {}) => render(stack, extra).m.alerts!.spec.groups[0].rules.map((r) => r.alert);
    const always = ["HRVDLQMessagesDetected", "HRVDLQSpike", "HRVDatabaseWritesStopped", "IngestHRVFailing", "ServiceCrashLooping"];
    // staging is at phase 3 (cut over), production at phase 0 in single mode.
    expect(names("staging")).toEqual([...always, "HRVFallbackToLegacy", "LegacyStreamReceiving", "HRVMixedStreams"]);
    expect(names("production")).toEqual([...always, "HRVMixedStreams"]);
    // A partial canary mixes streams on purpose.
    expect(names("production", { kubernetes: { canaryPercent: 10, normalize: { image: "ghcr.io/athlete-ally/normalize-service", tag: "1.4.2", replicas: 10 } } })).toEqual(always);
  });

  it("the NATS pods carry the exporter the alerts read, at the pinned version", () => {
    const { m } = render("production");
    const exporter = m.natsStatefulSet.spec!.template.spec!.containers.find((c) => c.name === "nats-exporter")!;
    expect(exporter.image).toBe(`natsio/prometheus-nats-exporter:${pins.natsExporter}`);
    expect(exporter.args).toEqual(["-jsz=all", "-port=7777", "http://localhost:8222"]);
  });
});

describe("kubernetes - TLS for clients and routes (kubernetes.nats.tls)", () => {
  const withTls = (tls: Record<string, unknown>, nats: Record<string, unknown> = { tls: { ca: "/etc/ssl/event-bus-ca.crt" } }) =>
    render("production", { nats: { ...(stackConfigFile("production").nats as object), ...nats }, kubernetes: { nats: { tls } } }).m;
  const volumesOf = (spec: any) => ({ volumes: spec.volumes.filter((v: any) => v.secret?.secretName === "nats-tls"), mounts: spec.containers[0].volumeMounts.filter((m: any) => ["tls", "nats-ca"].includes(m.name)) });

  it('"on": the servers require TLS of clients and speak it on their routes, from the whole Secret; the services get its CA alone, and Node.js trusts it', () => {
    const m = withTls({ secretName: "nats-tls" });
    const conf = m.natsConfig.data!["nats.conf"];
    expect(conf).toContain(`\ntls {\n  cert_file: "/etc/nats-certs/tls.crt"\n  key_file: "/etc/nats-certs/tls.key"\n  ca_file: "/etc/nats-certs/ca.crt"\n  timeout: 2\n}\n`);
    expect(conf).toMatch(/cluster \{[\s\S]*\n {2}tls \{\n {4}cert_file: "\/etc\/nats-certs\/tls.crt"[\s\S]*\n {2}\}\n\}/);
    expect(volumesOf(m.natsStatefulSet.spec!.template.spec)).toEqual({ volumes: [{ name: "tls", secret: { secretName: "nats-tls" } }], mounts: [{ name: "tls", mountPath: "/etc/nats-certs", readOnly: true }] });
    for (const d of m.deployments) {
      const spec = d.spec!.template.spec!;
      // Never the servers' key: the ca.crt item only.
      expect(volumesOf(spec)).toEqual({ volumes: [{ name: "nats-ca", secret: { secretName: "nats-tls", items: [{ key: "ca.crt", path: "ca.crt" }] } }], mounts: [{ name: "nats-ca", mountPath: "/etc/nats-ca", readOnly: true }] });
      expect(spec.containers[0].env).toContainEqual({ name: "NODE_EXTRA_CA_CERTS", value: "/etc/nats-ca/ca.crt" });
    }
    // routes: false keeps the routes plain (a running cluster whose routes would split mid-roll).
    expect(withTls({ secretName: "nats-tls", routes: false }).natsConfig.data!["nats.conf"].match(/tls \{/g)).toHaveLength(1);
  });

  it("production's stack file turns it on: clients and routes, from the Secret nats-tls, the providers trusting the CA committed in nats-ca/", () => {
    const file = stackConfigFile("production") as { nats: { tls?: { ca?: string } }; kubernetes: { nats: { tls?: unknown } } };
    expect({ ca: file.nats.tls?.ca, tls: file.kubernetes.nats.tls }).toEqual({ ca: "nats-ca/production.crt", tls: { secretName: "nats-tls" } });
    expect(render("production").m.natsConfig.data!["nats.conf"].match(/tls \{/g)).toHaveLength(2);
  });

  it("with cert-manager, a Certificate that issues the Secret the servers read: every name they answer to, valid against cert-manager's schema", () => {
    const m = withTls({ secretName: "nats-tls", certManager: { issuer: "letsencrypt-internal" } });
    const cert = m.natsCertificate!;
    expect(() => new Certificate(cert as never).validate()).not.toThrow();
    expect(cert.spec).toMatchObject({ secretName: "nats-tls", issuerRef: { name: "letsencrypt-internal", kind: "ClusterIssuer", group: "cert-manager.io" } });
    // The client Service, each pod through the headless Service (the routes), and the hosts the providers reach (the stack file's servers).
    expect(cert.spec.dnsNames).toEqual(["nats", "nats.production", "nats.production.svc", "*.nats-headless", "*.nats-headless.production.svc", "nats-0.production.athlete-ally.internal", "nats-1.production.athlete-ally.internal", "nats-2.production.athlete-ally.internal"]);
    expect(allManifests(m)).toContain(cert);
    // The providers reaching the servers by address: the address is in the certificate too.
    const byIp = render("production", { nats: { ...(stackConfigFile("production").nats as object), servers: ["nats://10.0.0.7:4222", "tls://nats.example:4222"] }, kubernetes: { nats: { tls: { secretName: "nats-tls", certManager: { issuer: "x" } } } } }).m.natsCertificate!;
    expect({ ip: byIp.spec.ipAddresses, last: byIp.spec.dnsNames.at(-1) }).toEqual({ ip: ["10.0.0.7"], last: "nats.example" });
    expect(() => new Certificate(byIp as never).validate()).not.toThrow();
    // Without it, no Certificate: the Secret is the owners' (or the chart's).
    expect(withTls({ secretName: "nats-tls" }).natsCertificate).toBeUndefined();
    expect(() => withTls({ secretName: "nats-tls", certManager: { issuer: "x", kind: "Cluster" } })).toThrow(/event-bus:kubernetes.nats.tls.certManager.kind: expected kind "Issuer" \(in the namespace\) or "ClusterIssuer"/);
  });

  it('"offer": the servers offer TLS from the Secret and still take plain clients; the routes stay as they were', () => {
    const m = withTls({ secretName: "nats-tls", stage: "offer" });
    const conf = m.natsConfig.data!["nats.conf"];
    expect(conf).toContain(`\ntls {\n  cert_file: "/etc/nats-certs/tls.crt"\n  key_file: "/etc/nats-certs/tls.key"\n  ca_file: "/etc/nats-certs/ca.crt"\n  timeout: 2\n}\nallow_non_tls: true\n`);
    expect(conf.match(/tls \{/g)).toHaveLength(1);
    expect(volumesOf(m.natsStatefulSet.spec!.template.spec)).toEqual({ volumes: [{ name: "tls", secret: { secretName: "nats-tls" } }], mounts: [{ name: "tls", mountPath: "/etc/nats-certs", readOnly: true }] });
  });

  it('"trust": the services get the CA and roll; the servers do not change', () => {
    const trust = withTls({ secretName: "nats-tls", stage: "trust" }, {});
    const none = render("production", { kubernetes: { nats: { tls: undefined } } }).m;
    expect(trust.natsConfig).toEqual(none.natsConfig);
    expect(trust.natsStatefulSet).toEqual(none.natsStatefulSet);
    for (const d of trust.deployments) expect(d.spec!.template.spec!.containers[0].env).toContainEqual({ name: "NODE_EXTRA_CA_CERTS", value: "/etc/nats-ca/ca.crt" });
  });

  it("the providers must trust the CA once the servers speak TLS; a bad Secret name is refused; each names its key", () => {
    expect(() => withTls({ secretName: "nats-tls" }, { tls: undefined })).toThrow(/event-bus:nats.tls.ca: expected the CA of the certificate in Secret nats-tls/);
    expect(() => withTls({ secretName: "Nats_TLS" })).toThrow(/event-bus:kubernetes.nats.tls.secretName: expected tls.secretName as a Kubernetes object name/);
    expect(() => withTls({ secretName: "nats-tls", stage: "maybe" })).toThrow(/event-bus:kubernetes.nats.tls.stage: expected stage "trust"/);
  });
});
