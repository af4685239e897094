/**
 * The system account (kubernetes.nats.passwordHashes.system, nats-users.ts) on a real server with
 * the nats.conf the stack renders: its one user, for people, gets the servers' own reports; the
 * streams stay in the global account, where the admin manages them as before; neither account
 * sees the other's subjects.
 */
import { connect } from "@nats-io/transport-node";
import { parseStackConfig } from "../../components/config/stack-config";
import { natsUsers, SYSTEM_USER } from "../../components/kubernetes/nats-users";
import { renderNatsConf } from "../../components/kubernetes/nats-conf";
import { CATALOGUE } from "../../components/topology/catalogue";
import { addStream, openManager } from "../helpers/jetstream";
import { passwordVariables } from "../helpers/nats-conf-files";
import { startServer, type ServerNode } from "../helpers/nats-servers";
import { stackConfigFile } from "../helpers/stack-files";

const password = (name: string) => `test-${name}-password-0123`;

describe("the system account - the servers' reports for people, the streams where they were", () => {
  let server: ServerNode;
  let conf: string;
  beforeAll(async () => {
    const users = natsUsers(parseStackConfig(stackConfigFile("production")), CATALOGUE, { hashes: { admin: "given", preview: "given", system: "given" } });
    conf = renderNatsConf({ name: "nats", headlessService: "nats-headless", storeDir: "/data/jetstream", clusterName: "nats", replicas: 1, storageSize: "1Gi", users });
    const auth = conf.slice(conf.indexOf("# The system account"));
    server = await startServer({ extraConfig: `${passwordVariables(users, password)}\n${auth}` });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("nats.conf puts the system user alone in account SYS, named the system account; every other user stays in the global account", () => {
    expect(conf).toMatch(/\naccounts \{\n {2}SYS: \{\n {4}users: \[\n {6}\{ user: "event-bus-system", password: \$PASSWORD_SYSTEM, [^\n]+\n {4}\]\n {2}\}\n\}\nsystem_account: SYS\n/);
    const authorization = conf.slice(conf.indexOf("authorization {"));
    expect(authorization).not.toContain(SYSTEM_USER);
    expect(authorization).toContain('user: "event-bus-admin"');
  });

  it("the system user gets the servers' reports; the admin does not, and manages the streams as before; neither reaches the other's subjects", async () => {
    const system = await connect({ servers: server.url, user: SYSTEM_USER, pass: password("system") });
    const admin = await openManager([server.url], { user: "event-bus-admin", pass: password("admin") });
    try {
      const ping = (await system.request("$SYS.REQ.SERVER.PING", "", { timeout: 2_000 })).json<{ server: { name: string; jetstream: boolean } }>();
      expect(ping.server.name).toBe(server.name);
      await expect(admin.nc.request("$SYS.REQ.SERVER.PING", "", { timeout: 1_000 })).rejects.toThrow(/no responders|timeout/i);
      await addStream(admin.jsm, { name: "ATHLETE_ALLY_EVENTS", subjects: ["athlete-ally.>"] });
      await admin.nc.request("athlete-ally.hrv.raw-received", "from the admin", { timeout: 2_000 });
      // A publish from the system account lands in no stream of the global account.
      system.publish("athlete-ally.hrv.raw-received", "from the system account");
      await system.flush();
      expect((await admin.jsm.streams.info("ATHLETE_ALLY_EVENTS")).state.messages).toBe(1);
      expect((await admin.jsm.getAccountInfo()).streams).toBe(1);
    } finally {
      await system.close();
      await admin.close();
    }
  });
});
