import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { JetStreamApiError } from "@nats-io/jetstream";
import { NATS_SERVER_VERSION } from "../components/versions";
import { addStream, openManager } from "./helpers/jetstream";
import * as net from "node:net";
import { freePort, getJson, jestWorkerId, MAX_PORT_WORKERS, NatsCluster, REPO_ROOT, ServerNode, startCluster, startServer, testPortRange } from "./helpers/nats-servers";
import { isAlive } from "./helpers/pid-ledger";
import { describeCluster } from "./helpers/tier";

const run = promisify(execFile);

describe("test harness - one JetStream server", () => {
  let server: ServerNode;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.stop());

  it("runs the pinned nats-server release", async () => {
    const varz = (await getJson(`${server.monitorUrl}/varz`)) as { version: string };
    expect(varz.version).toBe(NATS_SERVER_VERSION);
  });

  it("refuses a replicas-3 stream with err_code 10074", async () => {
    const { jsm, close } = await openManager([server.url]);
    try {
      const err = await jsm.streams.add({ name: "R3_ON_SINGLE", subjects: ["r3.single"], num_replicas: 3 }).catch((e) => e);
      expect(err).toBeInstanceOf(JetStreamApiError);
      expect((err as JetStreamApiError).code).toBe(10074);
      expect((err as Error).message).toMatch(/replicas > 1 not supported in non-clustered mode/);
    } finally {
      await close();
    }
  });
});

describeCluster("test harness - 3-node JetStream cluster", () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await startCluster(3);
  });
  afterAll(async () => cluster?.stop());

  it("has three distinct servers on loopback with a meta leader", async () => {
    expect(new Set(cluster.urls).size).toBe(3);
    for (const url of cluster.urls) expect(url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const leader = await cluster.waitForMetaLeader();
    expect(cluster.servers.map((s) => s.name)).toContain(leader);
  });

  it("creates a replicas-3 stream placed on all three nodes, then deletes it", async () => {
    const { jsm, close } = await openManager(cluster.urls);
    try {
      const info = await addStream(jsm, { name: "R3_ON_CLUSTER", subjects: ["r3.cluster.>"], num_replicas: 3 });
      expect(info.config.num_replicas).toBe(3);
      const peers = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)];
      expect(new Set(peers)).toEqual(new Set(cluster.servers.map((s) => s.name)));
      expect(await jsm.streams.delete("R3_ON_CLUSTER")).toBe(true);
      const gone = await jsm.streams.info("R3_ON_CLUSTER").catch((e) => e);
      expect((gone as JetStreamApiError).code).toBe(10059);
    } finally {
      await close();
    }
  });
});

describe("test harness - process hygiene", () => {
  it("global teardown stops, by PID, the server of a test that failed without stopping it, and fails the run", async () => {
    const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-leak-")), "pid");
    const result = await run(
      path.join(REPO_ROOT, "node_modules", ".bin", "jest"),
      ["--config", path.join(REPO_ROOT, "test", "fixtures", "jest.leaky.config.js"), "--runInBand", "--ci"],
      { cwd: REPO_ROOT, env: { ...process.env, LEAK_PID_FILE: pidFile } },
    ).then(
      () => ({ failed: false, output: "" }),
      (e: { stdout: string; stderr: string }) => ({ failed: true, output: e.stdout + e.stderr }),
    );
    expect(result.failed).toBe(true);
    expect(result.output).toMatch(/deliberate failure with a server left running/);
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
    expect(result.output).toContain(`outlived the suite and were killed: PIDs ${pid}`);
  }, 60_000);
});

describe("test harness - loopback ports", () => {
  it("hands out ports below the kernel's ephemeral range, one slice per Jest worker, never the same twice", async () => {
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 200 }, () => freePort()));
    expect(new Set(ports).size).toBe(200);
    const range = testPortRange(low, jestWorkerId())!;
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(range[0]);
      expect(p).toBeLessThanOrEqual(range[1]);
      expect(p).toBeLessThan(low);
    }
  });

  it("a port taken by a listener is never handed out", async () => {
    // Jest's main process (the shared control plane), then one slice per worker: 22,768 ports in 9 slices of 2,529.
    expect(testPortRange(32_768, undefined)).toEqual([10_000, 12_528]);
    const range = testPortRange(32_768, 1)!;
    expect(range).toEqual([12_529, 15_057]);
    expect(testPortRange(32_768, 2)).toEqual([15_058, 17_586]);
    expect(testPortRange(32_768, 8)).toEqual([30_232, 32_760]);
    // A worker beyond the slices is refused, never given another worker's slice.
    expect(MAX_PORT_WORKERS).toBe(8);
    expect(() => testPortRange(32_768, 9)).toThrow("JEST_WORKER_ID=9: expected 1 to 8 (one port slice each; run Jest with --maxWorkers=8 or fewer)");
    // No room below the ephemeral range: the kernel's own pick (listen on port 0).
    expect(testPortRange(10_500, 1)).toBeUndefined();
    // Listeners on 400 ports of this worker's slice, taken directly (not from freePort, which would
    // skip its own hand-outs anyway): 200 hand-outs from the slice of 2,529 would hit about 32 of them by chance.
    const own = testPortRange(Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]), jestWorkerId())!;
    const servers: net.Server[] = [];
    for (let p = own[0]; servers.length < 400 && p <= own[1]; p += 5) {
      const s = net.createServer();
      const ok = await new Promise<boolean>((r) => {
        s.once("error", () => r(false));
        s.listen(p, "127.0.0.1", () => r(true));
      });
      if (ok) servers.push(s);
    }
    const held = servers.map((s) => (s.address() as net.AddressInfo).port);
    try {
      expect(held.length).toBe(400);
      const more = await Promise.all(Array.from({ length: 200 }, () => freePort()));
      expect(more.filter((p) => held.includes(p))).toEqual([]);
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  });
});
