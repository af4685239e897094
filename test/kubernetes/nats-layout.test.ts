/**
 * The NATS cluster's layout (components/kubernetes/nats-layout.ts): the official Helm chart's
 * names, labels, claim template and store directory, as its templates and its own tests
 * (nats-io/k8s helm/charts/nats/test/defaults_test.go and config_test.go, for the release "nats":
 * StatefulSet "nats", Services "nats" and "nats-headless", ConfigMap "nats-config", claim "nats-js"
 * mounted at /data with store_dir /data, cluster name "nats") make them; and the stack's manifests
 * rendered for such a cluster.
 */
import { EVENT_BUS_LAYOUT, helmChartLayout, helmFullname, natsLayout } from "../../components/kubernetes/nats-layout";
import { render } from "../helpers/render";

describe("nats layout - the Helm chart's names", () => {
  it("fullname: the release when it contains the chart's name, else <release>-nats; the override wins; 63 characters, no trailing '-'", () => {
    expect(helmFullname("nats")).toBe("nats");
    expect(helmFullname("staging-nats")).toBe("staging-nats");
    expect(helmFullname("staging")).toBe("staging-nats");
    expect(helmFullname("staging", "bus")).toBe("bus");
    expect(helmFullname(`${"a".repeat(60)}`)).toBe(`${"a".repeat(60)}-na`);
    expect(helmFullname(`${"b".repeat(62)}-x`, undefined)).toBe(`${"b".repeat(62)}`);
  });
  it("the release nats as the chart's own tests render it", () => {
    expect(helmChartLayout("nats")).toEqual({
      statefulSet: "nats",
      headlessService: "nats-headless",
      clientService: "nats",
      configMap: "nats-config",
      disruptionBudget: "nats",
      claimTemplate: "nats-js",
      mountPath: "/data",
      storeDir: "/data",
      clusterName: "nats",
      selector: { "app.kubernetes.io/component": "nats", "app.kubernetes.io/instance": "nats", "app.kubernetes.io/name": "nats" },
    });
  });
  it("a name given by itself replaces the preset's, the rest stays", () => {
    expect(natsLayout({ preset: "helm-chart", helmRelease: "staging", claimTemplate: "data" })).toMatchObject({ statefulSet: "staging-nats", claimTemplate: "data", selector: { "app.kubernetes.io/instance": "staging" } });
    expect(natsLayout({ preset: "event-bus" })).toEqual(EVENT_BUS_LAYOUT);
  });
});

describe("nats layout - the stack's manifests for a cluster the chart made (release staging-nats)", () => {
  const { m } = render("staging", { kubernetes: { nats: { replicas: 3, layout: { preset: "helm-chart", helmRelease: "staging-nats" } } } });
  const selector = { "app.kubernetes.io/component": "nats", "app.kubernetes.io/instance": "staging-nats", "app.kubernetes.io/name": "nats" };
  const conf = m.natsConfig.data!["nats.conf"];

  it("the StatefulSet keeps what can not change in place: its name, selector, service name and claim template; the claim is mounted where the chart mounts it", () => {
    const s = m.natsStatefulSet;
    expect({ name: s.metadata!.name, selector: s.spec!.selector.matchLabels, serviceName: s.spec!.serviceName, claims: s.spec!.volumeClaimTemplates!.map((c) => c.metadata!.name) }).toEqual({
      name: "staging-nats",
      selector,
      serviceName: "staging-nats-headless",
      claims: ["staging-nats-js"],
    });
    const nats = s.spec!.template.spec!.containers.find((c) => c.name === "nats")!;
    expect(nats.volumeMounts).toContainEqual({ name: "staging-nats-js", mountPath: "/data" });
    expect(s.spec!.template.metadata!.labels).toMatchObject(selector);
    expect(s.spec!.template.spec!.volumes).toContainEqual({ name: "config", configMap: { name: "staging-nats-config" } });
  });
  it("nats.conf keeps the store directory, the cluster name and the routes (the streams and the peer identities)", () => {
    expect(conf).toMatch(/store_dir: "\/data"\n/);
    expect(conf).toMatch(/cluster \{\n  name: "staging-nats"/);
    for (let i = 0; i < 3; i++) expect(conf).toContain(`"nats://staging-nats-${i}.staging-nats-headless:6222"`);
    expect(conf).toMatch(/^server_name: \$POD_NAME$/m);
  });
  it("the Services, the ConfigMap and the disruption budget have the chart's names and select its pods; the services reach the chart's client Service", () => {
    expect([m.natsClient.metadata!.name, m.natsHeadless.metadata!.name, m.natsConfig.metadata!.name, m.natsDisruptionBudget.metadata!.name]).toEqual(["staging-nats", "staging-nats-headless", "staging-nats-config", "staging-nats"]);
    expect([m.natsClient.spec!.selector, m.natsHeadless.spec!.selector, m.natsDisruptionBudget.spec!.selector!.matchLabels]).toEqual([selector, selector, selector]);
    expect(m.flags.data!.NATS_URL).toBe("nats://staging-nats:4222");
    expect(m.podMonitors!.find((p) => p.metadata.name === "nats")!.spec.selector.matchLabels).toEqual(selector);
  });
});

describe("nats layout - configuration errors name the key", () => {
  it.each([
    [{ preset: "helm-chart" }, /event-bus:kubernetes\.nats\.layout\.helmRelease: expected helmRelease/],
    [{ preset: "chart" }, /event-bus:kubernetes\.nats\.layout\.preset: expected preset "event-bus"/],
    [{ helmRelease: "nats" }, /event-bus:kubernetes\.nats\.layout\.preset: expected preset "helm-chart" with helmRelease/],
    [{ storeDir: "/var/lib/nats", mountPath: "/data" }, /event-bus:kubernetes\.nats\.layout\.storeDir: expected storeDir inside mountPath \/data/],
    [{ claimTemplate: "Data_JS" }, /event-bus:kubernetes\.nats\.layout\.claimTemplate: expected claimTemplate as a Kubernetes object name/],
  ])("%j", (layout, message) => {
    expect(() => render("staging", { kubernetes: { nats: { layout } } })).toThrow(message);
  });
});
