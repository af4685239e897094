/**
 * Route authorization as routes.conf writes it (nats-passwords.ts), on real servers: a server
 * that routes to the cluster port with the route user's credentials joins; one without them, or
 * with a wrong password, does not (before it, any process that reached 6222 joined the cluster
 * and bypassed client authorization). And a server learned only by gossip, routed to with the
 * cluster authorization's own password (an implicit route), signs in too: the cluster meshes.
 */
import { renderRoutesConf, ROUTE_USER } from "../../components/kubernetes/nats-passwords";
import { poll, sleep } from "../../components/poll";
import { addStream, openManager, publishStored } from "../helpers/jetstream";
import { freePort, getJson, startServer, type ServerNode } from "../helpers/nats-servers";
import { describeCluster } from "../helpers/tier";

const PASSWORD = "routePassword0123";

const started: ServerNode[] = [];
afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
});

/** A server of cluster "nats" listening for routes on `port`, with routes.conf's lines for `routes`. */
async function server(name: string, port: number, routes: string[], password = PASSWORD, mode: "require" | "offer" = "require"): Promise<ServerNode> {
  const conf = renderRoutesConf(routes, password, mode);
  const s = await startServer({ name, extraConfig: `cluster {\n  name: "nats"\n  listen: "127.0.0.1:${port}"\n${conf}}` });
  started.push(s);
  return s;
}
/** The peers a server has routes to (nats-server pools several connections per peer). */
const routeNames = async (s: ServerNode) => [...new Set((((await getJson(`${s.monitorUrl}/routez`)) as { routes?: Array<{ remote_name: string }> }).routes ?? []).map((r) => r.remote_name))].sort();

describe("route authorization - only servers with the route user's credentials join", () => {
  let seedPort: number;

  it("a peer with the credentials joins; one without them or with a wrong password is refused", async () => {
    seedPort = await freePort();
    const peerPort = await freePort();
    // Each routes to the other (a JetStream server in a cluster needs routes configured).
    const seed = await server("seed", seedPort, [`nats://127.0.0.1:${peerPort}`]);
    const peer = await server("peer", peerPort, [`nats://127.0.0.1:${seedPort}`]);
    const wrong = await server("wrong", await freePort(), [`nats://127.0.0.1:${seedPort}`], "notThePassword");
    const plain = await startServer({ name: "plain", extraConfig: `cluster {\n  name: "nats"\n  listen: "127.0.0.1:${await freePort()}"\n  routes: ["nats-route://127.0.0.1:${seedPort}"]\n}` });
    started.push(plain);
    await sleep(4_000); // each solicits at once, and again every second
    // Judged where the credentials are checked: a route is listed there only once it signed in (the
    // refused side may list one for the moment between the server's INFO and its refusal).
    // The seed took the peer's route, and neither the wrong password's nor the plain one's.
    expect(await routeNames(seed)).toEqual(["peer"]);
    expect(await routeNames(peer)).toEqual(["seed"]);
    expect([wrong, plain].every((s) => s.running())).toBe(true);
    // "offer", the takeover's first stage: a server sends the credentials (the seed takes it) and
    // requires none (a server of the cluster as it was, without credentials, still routes to it),
    const offerPort = await freePort();
    const offer = await server("offer", offerPort, [`nats://127.0.0.1:${seedPort}`], PASSWORD, "offer");
    const old = await startServer({ name: "old", extraConfig: `cluster {\n  name: "nats"\n  listen: "127.0.0.1:${await freePort()}"\n  routes: ["nats-route://127.0.0.1:${offerPort}"]\n}` });
    started.push(old);
    await sleep(4_000);
    expect(await routeNames(offer)).toEqual(["old", "peer", "seed"]);
    // and the servers that require credentials route to it themselves, having heard of it: the cluster stays whole.
    expect(await routeNames(old)).toEqual(["offer", "peer", "seed"]);
    expect(renderRoutesConf([`nats://127.0.0.1:${seedPort}`], PASSWORD)).toContain(`"nats://${ROUTE_USER}:${PASSWORD}@127.0.0.1:${seedPort}"`);
  });

  it("routes.conf requires the route user with the plaintext password, quoted (nats-server signs implicit routes in with it); offer requires nothing", () => {
    const routes = ["nats://nats-0.nats-headless:6222", "nats://nats-1.nats-headless:6222"];
    const body = `routes: [\n  "nats://${ROUTE_USER}:${PASSWORD}@nats-0.nats-headless:6222"\n  "nats://${ROUTE_USER}:${PASSWORD}@nats-1.nats-headless:6222"\n]\n`;
    expect(renderRoutesConf(routes, PASSWORD)).toBe(`authorization { user: "${ROUTE_USER}", password: "${PASSWORD}" }\n${body}`);
    expect(renderRoutesConf(routes, PASSWORD, "require")).toBe(renderRoutesConf(routes, PASSWORD));
    expect(renderRoutesConf(routes, PASSWORD, "offer")).toBe(body);
    expect(() => renderRoutesConf(routes, "with$dollar")).toThrow(/letters, digits/);
  });
});

describeCluster("route authorization - a server learned by gossip is routed to with the credentials too (implicit routes)", () => {
  it("servers 1 and 2, each routing only to server 0, route to each other: a full mesh, and an R3 stream with a leader and every peer current", async () => {
    const names = ["gossip-0", "gossip-1", "gossip-2"];
    const ports = [await freePort(), await freePort(), await freePort()];
    // The routes by name (`localhost`), as the stack writes them (`<pod>.<headless service>`), while
    // the INFO a server gossips gives its address (127.0.0.1): a server learned from it is none of
    // the configured routes (hasThisRouteConfigured), and nats-server routes to it implicitly,
    // signing in with the cluster authorization's own user and password (processImplicitRoute).
    // 1 and 2 route only to 0, so they meet only through its gossip: only by implicit routes.
    // (With the password's bcrypt hash as the authorization's, as routes.conf had it, 1 and 2
    // refused each other's implicit routes, again and again, and never routed to each other.)
    const at = (i: number) => `nats://localhost:${ports[i]}`;
    const servers = [await server(names[0], ports[0], [at(1), at(2)]), await server(names[1], ports[1], [at(0)]), await server(names[2], ports[2], [at(0)])];
    const mesh = names.map((n) => names.filter((o) => o !== n));
    const routed = () => Promise.all(servers.map(routeNames));
    await poll({ timeoutMs: 15_000, intervalMs: 250 }, async () => (JSON.stringify(await routed()) === JSON.stringify(mesh) ? true : undefined));
    expect(await routed()).toEqual(mesh);

    // JetStream answers: one meta leader, the same on every server,
    const metaLeaders = () => Promise.all(servers.map(async (sv) => ((await getJson(`${sv.monitorUrl}/jsz`))?.meta_cluster as { leader?: string } | undefined)?.leader));
    await poll({ timeoutMs: 15_000, intervalMs: 250 }, async () => ((l) => (l[0] && l.every((x) => x === l[0]) ? true : undefined))(await metaLeaders()));
    const leaders = await metaLeaders();
    expect({ leader: names.includes(leaders[0] ?? ""), same: leaders.every((l) => l === leaders[0]) }).toEqual({ leader: true, same: true });
    // and an R3 stream, made through server 1, stores a message with its leader and both other peers current.
    const { nc, jsm, close } = await openManager([servers[1].url]);
    try {
      await addStream(jsm, { name: "IMPLICIT", subjects: ["implicit.>"], num_replicas: 3 });
      await publishStored(nc, "implicit.one", "1");
      const whole = await poll({ timeoutMs: 15_000, intervalMs: 250 }, async () => {
        const c = (await jsm.streams.info("IMPLICIT").catch(() => undefined))?.cluster;
        return c?.leader && c.replicas?.length === 2 && c.replicas.every((r) => r.current && !r.offline) ? c : undefined;
      });
      const c = whole ?? (await jsm.streams.info("IMPLICIT")).cluster;
      expect({ leader: names.includes(c?.leader ?? ""), peers: [c?.leader, ...(c?.replicas ?? []).map((r) => r.name)].sort(), current: (c?.replicas ?? []).map((r) => r.current) }).toEqual({ leader: true, peers: names, current: [true, true] });
    } finally {
      await close();
    }
    // The mesh held meanwhile.
    expect(await routed()).toEqual(mesh);
  });
});
