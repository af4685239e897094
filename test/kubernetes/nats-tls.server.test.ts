/**
 * TLS as the stack's nats.conf turns it on (kubernetes.nats.tls, nats-tls.ts), on real servers
 * with a certificate signed by a test CA: the providers' client trusts the CA they are given; a
 * Node.js process that only has NODE_EXTRA_CA_CERTS (the seeds' services, whose code does not
 * change) connects; a client without the CA, with another CA, or without TLS is refused. Routes
 * speak TLS: the cluster forms, and a server whose certificate another CA signed does not join.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { closeConnections, manager } from "../../components/jetstream/client";
import { connectionForTlsStage, TLS_DIR, tlsBlock } from "../../components/kubernetes/nats-tls";
import { renderRoutesConf } from "../../components/kubernetes/nats-passwords";
import { poll } from "../../components/poll";
import { addStream, openManager, publishStored } from "../helpers/jetstream";
import { freePort, getJson, REPO_ROOT, startServer, type ServerNode } from "../helpers/nats-servers";
import { render } from "../helpers/render";
import { stackConfigFile } from "../helpers/stack-files";
import { describeCluster } from "../helpers/tier";
import { makeCerts, type TestCerts } from "../helpers/tls-certs";

const run = promisify(execFile);
const ROUTE_PASSWORD = "routePassword0123";

/** The `tls { }` blocks of production's nats.conf with TLS on: the client port's, and the routes'. */
function renderedTlsBlocks(): { clients: string; routes: string } {
  const conf = render("production", { nats: { ...(stackConfigFile("production").nats as object), tls: { ca: "/ca.crt" } }, kubernetes: { nats: { tls: { secretName: "nats-tls" } } } }).m.natsConfig.data!["nats.conf"];
  const blocks = [...conf.matchAll(/^( *)tls \{\n[\s\S]*?^\1\}$/gm)].map((m) => m[0]);
  expect(blocks).toHaveLength(2);
  expect(blocks[0]).toBe(tlsBlock("").join("\n"));
  return { clients: blocks[0], routes: blocks[1].replace(/^ {2}/gm, "") };
}
/** A block with the Secret's mount folder as this test's files. */
const at = (block: string, certs: TestCerts) => block.split(TLS_DIR).join(certs.dir);

/** A plain Node.js process, as the seeds' services run: it connects with NATS_URL's server and no TLS option, trusting what NODE_EXTRA_CA_CERTS adds; prints "connected" or the error. */
async function nodeClient(url: string, env: Record<string, string>): Promise<string> {
  const script = `require("@nats-io/transport-node").connect({ servers: ${JSON.stringify(url)}, user: "event-bus-admin", pass: "admin-password-0123", reconnect: false, timeout: 3000 }).then(async (nc) => { await nc.flush(); console.log("connected"); await nc.close(); }, (e) => console.log("refused: " + e.message));`;
  const { stdout } = await run(process.execPath, ["-e", script], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", ...env } });
  return stdout.trim();
}

const AUTH = `authorization { users: [ { user: "event-bus-admin", password: "admin-password-0123" } ] }`;

describe("NATS over TLS - the stack's tls block on a real server", () => {
  let certs: TestCerts;
  let other: TestCerts;
  let server: ServerNode;
  beforeAll(async () => {
    certs = makeCerts("production");
    other = makeCerts("production", undefined, "another CA");
    server = await startServer({ extraConfig: `${at(renderedTlsBlocks().clients, certs)}\n${AUTH}` });
  });
  afterAll(async () => {
    await closeConnections();
    await server?.stop();
    certs?.remove();
    other?.remove();
  });

  it("the providers' client, given the CA (event-bus:nats.tls.ca), manages JetStream over TLS", async () => {
    const jsm = await manager({ servers: [server.url], user: "event-bus-admin", password: "admin-password-0123", tls: { ca: certs.caFile }, connectTimeoutMs: 3_000, retryBudgetMs: 0 });
    await jsm.streams.add({ name: "AA_DLQ", subjects: ["dlq.>"] });
    expect((await jsm.streams.info("AA_DLQ")).config.subjects).toEqual(["dlq.>"]);
    const nc = await connect({ servers: server.url, user: "event-bus-admin", pass: "admin-password-0123", tls: { ca: certs.files["ca.crt"] } });
    expect(nc.info?.tls_required).toBe(true);
    await nc.close();
  });

  it("a Node.js process with only NODE_EXTRA_CA_CERTS connects, as the seeds' services do; without it, with another CA, or without TLS, a client is refused", async () => {
    expect(await nodeClient(server.url, { NODE_EXTRA_CA_CERTS: certs.caFile })).toBe("connected");
    expect(await nodeClient(server.url, {})).toMatch(/^refused: .*(self-signed|unable to verify|certificate)/i);
    expect(await nodeClient(server.url, { NODE_EXTRA_CA_CERTS: other.caFile })).toMatch(/^refused: .*(self-signed|unable to verify|certificate)/i);
    await expect(connect({ servers: server.url, user: "event-bus-admin", pass: "admin-password-0123", tls: null, reconnect: false, timeout: 3_000 })).rejects.toThrow(/tls/i);
  });
});

describe('NATS over TLS - stage "offer": TLS offered, plain clients still taken', () => {
  let certs: TestCerts;
  let offering: ServerNode;
  let plain: ServerNode;
  beforeAll(async () => {
    certs = makeCerts("production");
    const conf = render("production", { nats: { ...(stackConfigFile("production").nats as object), tls: { ca: "/ca.crt" } }, kubernetes: { nats: { tls: { secretName: "nats-tls", stage: "offer" } } } }).m.natsConfig.data!["nats.conf"];
    const offered = conf.slice(conf.indexOf("tls {"), conf.indexOf("allow_non_tls: true") + "allow_non_tls: true".length);
    expect(offered).toBe(`${tlsBlock("").join("\n")}\nallow_non_tls: true`);
    offering = await startServer({ extraConfig: `${at(offered, certs)}\n${AUTH}` });
    plain = await startServer({ extraConfig: AUTH });
  });
  afterAll(async () => {
    await closeConnections();
    await offering?.stop();
    await plain?.stop();
    certs?.remove();
  });

  it("a service with NODE_EXTRA_CA_CERTS upgrades to TLS; a client that asks for none stays plain; a Node.js client without the CA upgrades and fails (why \"trust\" comes first)", async () => {
    expect(await nodeClient(offering.url, { NODE_EXTRA_CA_CERTS: certs.caFile })).toBe("connected");
    // nats.js upgrades whenever a server offers TLS: without the CA it can not verify the certificate.
    expect(await nodeClient(offering.url, {})).toMatch(/^refused: .*(self-signed|unable to verify|certificate)/i);
    // The server's own view of each connection (connz by client id): the one that asked for no TLS is plain, the other TLS.
    const seen = async (nc: NatsConnection) => {
      const connz = (await getJson(`${offering.monitorUrl}/connz?cid=${nc.info!.client_id}`)) as { connections: Array<{ tls_version?: string }> };
      return connz.connections.map((c) => c.tls_version ?? "plain");
    };
    const old = await connect({ servers: offering.url, user: "event-bus-admin", pass: "admin-password-0123", tls: null, reconnect: false });
    await old.flush();
    expect(await seen(old)).toEqual(["plain"]);
    await old.close();
    const tlsClient = await connect({ servers: offering.url, user: "event-bus-admin", pass: "admin-password-0123", tls: { ca: certs.files["ca.crt"] }, reconnect: false });
    expect({ required: tlsClient.info?.tls_required ?? false, available: tlsClient.info?.tls_available }).toEqual({ required: false, available: true });
    await tlsClient.flush();
    expect(await seen(tlsClient)).toEqual(["1.3"]);
    await tlsClient.close();
  });

  it("the providers speak plain only before stage on: given TLS settings, the client refuses a server that offers none (a stack at trust, an up before its roll); given none, it upgrades where TLS is offered and fails without the CA", async () => {
    await expect(connect({ servers: plain.url, user: "event-bus-admin", pass: "admin-password-0123", tls: { ca: certs.files["ca.crt"] }, reconnect: false, timeout: 3_000 })).rejects.toThrow(/server does not support 'tls'/);
    const configured = { servers: [offering.url], user: "event-bus-admin", password: "admin-password-0123", tls: { ca: certs.caFile }, connectTimeoutMs: 3_000, retryBudgetMs: 0 };
    const stage = (s: "trust" | "offer" | "on") => connectionForTlsStage(configured, { secretName: "nats-tls", stage: s, routes: true });
    expect([stage("trust"), stage("offer")].map((c) => ({ tls: "tls" in c, plainOnly: (c as { plainOnly?: true }).plainOnly }))).toEqual([{ tls: false, plainOnly: true }, { tls: false, plainOnly: true }]);
    expect(stage("on")).toBe(configured);
    expect(connectionForTlsStage(configured, undefined)).toBe(configured);
    // The stack's connection at "offer" manages JetStream, plain, on both kinds of server.
    for (const server of [offering, plain]) {
      const jsm = await manager({ ...stage("offer"), servers: [server.url] });
      expect((await jsm.getAccountInfo()).streams).toBeGreaterThanOrEqual(0);
    }
    const connz = (await getJson(`${offering.monitorUrl}/connz`)) as { connections: Array<{ tls_version?: string }> };
    expect(connz.connections.map((c) => c.tls_version ?? "plain")).toEqual(["plain"]);
    // Without plainOnly and without the CA, the client upgrades where TLS is offered, and fails.
    const { tls: _tls, ...noCa } = configured;
    await expect(manager({ ...noCa, servers: [offering.url] })).rejects.toThrow(/certificate|self-signed|verify/i);
  });
});

describeCluster("NATS over TLS - routes", () => {
  const started: ServerNode[] = [];
  let certs: TestCerts;
  let other: TestCerts;
  afterAll(async () => {
    for (const s of started.reverse()) await s.stop();
    certs?.remove();
    other?.remove();
  });

  it("three servers route to each other over TLS with the route user's credentials (an R3 stream has a leader and every peer current); a server of another CA does not join", async () => {
    certs = makeCerts("production");
    other = makeCerts("production", undefined, "another CA");
    const blocks = renderedTlsBlocks();
    const ports = [await freePort(), await freePort(), await freePort()];
    const routes = ports.map((p) => `nats://localhost:${p}`);
    const cluster = (port: number, c: TestCerts) =>
      `${at(blocks.clients, c)}\n${AUTH}\ncluster {\n  name: "nats"\n  listen: "127.0.0.1:${port}"\n${renderRoutesConf(routes, ROUTE_PASSWORD)}${at(blocks.routes, c)}\n}`;
    for (const [i, port] of ports.entries()) started.push(await startServer({ name: `tls-${i}`, extraConfig: cluster(port, certs) }));
    const routeNames = async (s: ServerNode) => [...new Set((((await getJson(`${s.monitorUrl}/routez`)) as { routes?: Array<{ remote_name: string }> }).routes ?? []).map((r) => r.remote_name))].sort();
    const meshed = await poll({ timeoutMs: 20_000, intervalMs: 250 }, async () => {
      const all = await Promise.all(started.map(routeNames));
      return all.every((r) => r.length === 2) ? all : undefined;
    });
    expect(meshed).toEqual([["tls-1", "tls-2"], ["tls-0", "tls-2"], ["tls-0", "tls-1"]]);
    // Each server requires TLS on its routes (varz; routez does not say a route's TLS).
    for (const s of started) expect(((await getJson(`${s.monitorUrl}/varz`)) as { cluster: { tls_required?: boolean } }).cluster.tls_required).toBe(true);
    // JetStream answers once the servers agree on a meta leader (over the TLS routes).
    const metaLeaders = () => Promise.all(started.map(async (sv) => ((await getJson(`${sv.monitorUrl}/jsz`))?.meta_cluster as { leader?: string } | undefined)?.leader));
    expect(await poll({ timeoutMs: 20_000, intervalMs: 250 }, async () => ((l) => (l[0] && l.every((x) => x === l[0]) ? l[0] : undefined))(await metaLeaders()))).toMatch(/^tls-[012]$/);
    const admin = await openManager(started.map((s) => s.url), { user: "event-bus-admin", pass: "admin-password-0123", tls: { ca: certs.files["ca.crt"] } } as never);
    try {
      await addStream(admin.jsm, { name: "AA_CORE_HOT", subjects: ["athlete-ally.>"], num_replicas: 3 });
      await publishStored(admin.nc, "athlete-ally.hrv.raw-received", "over TLS");
      const current = await poll({ timeoutMs: 20_000, intervalMs: 250 }, async () => {
        const si = await admin.jsm.streams.info("AA_CORE_HOT");
        return si.cluster?.leader && (si.cluster.replicas ?? []).length === 2 && si.cluster.replicas!.every((r) => r.current) ? si : undefined;
      });
      expect(current?.state.messages).toBe(1);
      // A server with the route user's credentials but a certificate of another CA: the TLS handshake fails, it never routes.
      const rogue = await startServer({ name: "rogue", extraConfig: cluster(await freePort(), other) });
      started.push(rogue);
      await new Promise((r) => setTimeout(r, 4_000));
      for (const s of started.slice(0, 3)) expect(await routeNames(s)).not.toContain("rogue");
    } finally {
      await admin.close();
    }
  });
});
