import { confDifferences, describeConfDifferences, natsConfFacts } from "../../components/kubernetes/nats-conf-facts";
import { helmChartNats } from "../fixtures/helm-chart-nats";
import { render } from "../helpers/render";

describe("nats.conf facts - the live file beside the stack's", () => {
  const chart = natsConfFacts(helmChartNats("production-nats", "production").find((o) => o.kind === "ConfigMap").data["nats.conf"]);
  const stackConf = (layout: Record<string, unknown>, anonymousClients = "allow") =>
    natsConfFacts(render("production", { kubernetes: { nats: { replicas: 3, layout, anonymousClients } } }).m.natsConfig.data!["nats.conf"]);

  it("reads the Helm chart's JSON form", () => {
    expect(chart).toEqual({
      storeDir: "/data",
      clusterName: "production-nats",
      routes: [0, 1, 2].map((i) => `nats://production-nats-${i}.production-nats-headless:6222`),
      serverName: "$SERVER_NAME",
      users: [],
      noAuthUser: undefined,
      authorization: false,
    });
  });
  it("the stack laid out as the chart keeps the store directory, the cluster name and the routes; it adds its users and the door for clients without credentials", () => {
    const differences = confDifferences(chart, stackConf({ preset: "helm-chart", helmRelease: "production-nats" }));
    expect(differences.map((d) => [d.fact, d.refused])).toEqual([
      ["server_name", false],
      ["users", false],
      ["no_auth_user", false],
      ["authorization", false],
    ]);
    expect(differences.find((d) => d.fact === "users")!.stack).toBe("event-bus-system, event-bus-admin, event-bus-preview, ingest-service, normalize-service, event-bus-anonymous");
  });
  it("the stack's own layout on the chart's cluster would move the streams and rename the cluster: refused, and said", () => {
    const differences = confDifferences(chart, stackConf({ preset: "event-bus" }));
    expect(differences.filter((d) => d.refused)).toEqual([
      { fact: "store_dir", live: "/data", stack: "/data/jetstream", refused: true },
      { fact: "cluster.name", live: "production-nats", stack: "nats", refused: true },
    ]);
    expect(describeConfDifferences("production/production-nats-config", differences)).toContain("  store_dir: live /data -> stack /data/jetstream (refused)");
  });
});
