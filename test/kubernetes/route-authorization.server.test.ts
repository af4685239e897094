/**
 * Route authorization as routes.conf writes it (nats-passwords.ts), on real servers: a server
 * that routes to the cluster port with the route user's credentials joins; one without them, or
 * with a wrong password, does not (before it, any process that reached 6222 joined the cluster
 * and bypassed client authorization).
 */
import { passwordHash, renderRoutesConf, ROUTE_USER } from "../../components/kubernetes/nats-passwords";
import { sleep } from "../../components/poll";
import { freePort, getJson, startServer, type ServerNode } from "../helpers/nats-servers";

const PASSWORD = "routePassword0123";

describe("route authorization - only servers with the route user's credentials join", () => {
  const started: ServerNode[] = [];
  let seedPort: number;
  afterAll(async () => {
    for (const s of started.reverse()) await s.stop();
  });

  /** A server of cluster "nats" listening for routes on `port`, with routes.conf's lines for `routes`. */
  async function server(name: string, port: number, routes: string[], password = PASSWORD, mode: "require" | "offer" = "require"): Promise<ServerNode> {
    const conf = renderRoutesConf(routes, password, passwordHash(PASSWORD, "test/route"), mode);
    const s = await startServer({ name, extraConfig: `cluster {\n  name: "nats"\n  listen: "127.0.0.1:${port}"\n${conf}}` });
    started.push(s);
    return s;
  }
  // The peers a server has routes to (nats-server pools several connections per peer).
  const routeNames = async (s: ServerNode) => [...new Set((((await getJson(`${s.monitorUrl}/routez`)) as { routes?: Array<{ remote_name: string }> }).routes ?? []).map((r) => r.remote_name))].sort();

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
    expect(renderRoutesConf([`nats://127.0.0.1:${seedPort}`], PASSWORD, "h")).toContain(`"nats://${ROUTE_USER}:${PASSWORD}@127.0.0.1:${seedPort}"`);
  });
});
