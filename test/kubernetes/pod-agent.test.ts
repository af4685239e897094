/**
 * The pod agent changes only addresses in the nats.conf a stack deploys: listen ports, routes to
 * peers, and paths inside mounted volumes. Everything else (users, JetStream limits, lame duck)
 * reaches nats-server as the stack wrote it.
 */
import { renderRoutesConf } from "../../components/kubernetes/nats-passwords";
import { mapNatsConf, mapServiceUrl } from "../helpers/pod-agent";
import { render } from "../helpers/render";
import { helmChartNats } from "../fixtures/helm-chart-nats";

describe("pod agent - a stack's nats.conf with only its addresses mapped", () => {
  const { m } = render("production");
  const conf = m.natsConfig.data!["nats.conf"];
  const ports = (i: number) => ({ client: 10_000 + i, cluster: 11_000 + i, monitor: 12_000 + i });
  const mapped = mapNatsConf(conf, ports(1), (pod) => ports(Number(pod.split("-").pop())), (p) => p.replace(/^\/data/, "/tmp/claims/jetstream-nats-1").replace(/^\/var\/run\/nats/, "/tmp/pid"));

  it("listens on the pod's loopback ports and routes to the peers' mapped cluster ports", () => {
    expect(mapped).toMatch(/^listen: 127\.0\.0\.1:10001$/m);
    expect(mapped).toMatch(/^http: 127\.0\.0\.1:12001$/m);
    expect(mapped).toMatch(/^ {2}listen: 127\.0\.0\.1:11001$/m);
    expect(mapped).toContain('"nats://127.0.0.1:11000"');
    expect(mapped).toContain('"nats://127.0.0.1:11002"');
    expect(mapped).not.toMatch(/nats-headless|^port:|http_port/m);
    expect(mapped).toContain('store_dir: "/tmp/claims/jetstream-nats-1/jetstream"');
    expect(mapped).toContain('pid_file: "/tmp/pid/nats.pid"');
  });

  it("keeps every other line as the stack wrote it", () => {
    const kept = (text: string) => text.split("\n").filter((l) => !/listen|port|nats:\/\/|store_dir|pid_file|http/.test(l));
    expect(kept(mapped)).toEqual(kept(conf));
    expect(kept(conf)).toEqual(expect.arrayContaining(["server_name: $POD_NAME", "lame_duck_duration: 30s", "  max_file_store: 10G"]));
  });

  it("maps the routes routes.conf gives with the route user's credentials, keeping the credentials", () => {
    const routes = renderRoutesConf(m.natsRoutes, "route-pw");
    const out = mapNatsConf(`cluster {\n  port: 6222\n${routes}}\n`, ports(1), (pod) => ports(Number(pod.split("-").pop())), (p) => p);
    expect(out).toContain('"nats://event-bus-route:route-pw@127.0.0.1:11000"');
    expect(out).toContain('"nats://event-bus-route:route-pw@127.0.0.1:11002"');
    expect(out).not.toContain("nats-headless");
  });

  it("maps the Helm chart's JSON form of nats.conf the same way (test/fixtures/helm-chart-nats.ts)", () => {
    const chart = helmChartNats("production-nats", "production").find((o) => o.kind === "ConfigMap").data["nats.conf"] as string;
    const out = mapNatsConf(chart, ports(1), (pod) => ports(Number(pod.split("-").pop())), (p) => p.replace(/^\/data/, "/tmp/claims/production-nats-js-production-nats-1").replace(/^\/var\/run\/nats/, "/tmp/pid"));
    expect(out).toMatch(/^ {2}"listen": "127\.0\.0\.1:10001",$/m);
    expect(out).toMatch(/^ {2}"http": "127\.0\.0\.1:12001",$/m);
    expect(out).toMatch(/^ {4}"listen": "127\.0\.0\.1:11001",$/m);
    expect(out).toContain('"nats://127.0.0.1:11000",');
    expect(out).toContain('"nats://127.0.0.1:11002"\n');
    expect(out).toContain('"store_dir": "/tmp/claims/production-nats-js-production-nats-1"');
    expect(out).toContain('"server_name": $SERVER_NAME');
    expect(out).not.toMatch(/headless|"port"|http_port/);
  });

  it("maps a NATS Service address to the NATS pods' URLs, and leaves loopback URLs alone", () => {
    expect(mapServiceUrl("nats://nats:4222", () => "nats://127.0.0.1:1,nats://127.0.0.1:2")).toBe("nats://127.0.0.1:1,nats://127.0.0.1:2");
    expect(mapServiceUrl("nats://nats.production.svc.cluster.local:4222", () => "X")).toBe("X");
    expect(mapServiceUrl("nats://127.0.0.1:4222", () => "X")).toBe("nats://127.0.0.1:4222");
  });
});
