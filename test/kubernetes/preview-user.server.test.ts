/**
 * The read-only identity previews sign in as (components/jetstream/identity.ts), on a real server
 * with the users and permissions the stack's nats.conf gives them: through the providers' own
 * client, a connection whose admin password is not in the environment signs in as
 * event-bus-preview, which reads what a preview reads and can change nothing; its replies come to
 * an inbox no service may read.
 */
import { connect } from "@nats-io/transport-node";
import { parseStackConfig } from "../../components/config/stack-config";
import { closeConnections, manager } from "../../components/jetstream/client";
import type { ConnectionArgs } from "../../components/jetstream/connection-args";
import { PREVIEW_INBOX_PREFIX } from "../../components/jetstream/identity";
import { natsUsers } from "../../components/kubernetes/nats-users";
import { renderNatsConf } from "../../components/kubernetes/nats-conf";
import { CATALOGUE } from "../../components/topology/catalogue";
import { addStream, openManager } from "../helpers/jetstream";
import { passwordVariables } from "../helpers/nats-conf-files";
import { startServer, type ServerNode } from "../helpers/nats-servers";
import { stackConfigFile } from "../helpers/stack-files";

const password = (name: string) => `test-${name}-password-0123`;
const ADMIN_ENV = "TEST_EVENT_BUS_ADMIN_PASSWORD";
const PREVIEW_ENV = "TEST_EVENT_BUS_PREVIEW_PASSWORD";

/** Production's users with the admin and preview passwords kept out of the stack (their hashes given). */
function authorization(): string {
  const users = natsUsers(parseStackConfig(stackConfigFile("production")), CATALOGUE, { hashes: { admin: "given", preview: "given" } });
  const conf = renderNatsConf({ name: "nats", headlessService: "nats-headless", storeDir: "/data/jetstream", clusterName: "nats", replicas: 1, storageSize: "1Gi", users });
  return `${passwordVariables(users, password)}\n${conf.slice(conf.indexOf("authorization {"))}`;
}

/** Runs with exactly these password variables set in this process's environment (what the CLI gives the providers). */
async function withEnv<T>(vars: Record<string, string | undefined>, f: () => Promise<T>): Promise<T> {
  const before = { [ADMIN_ENV]: process.env[ADMIN_ENV], [PREVIEW_ENV]: process.env[PREVIEW_ENV] };
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) if (x === undefined) delete process.env[k];
    else process.env[k] = x;
  };
  set({ [ADMIN_ENV]: undefined, [PREVIEW_ENV]: undefined, ...vars });
  try {
    return await f();
  } finally {
    await closeConnections();
    set(before);
  }
}

/** Whether a promise is refused within a few seconds (a permission violation, or no answer to a request the server dropped). */
const refused = (p: Promise<unknown>) =>
  p.then(
    () => "done",
    (e: Error) => `refused: ${e.message}`,
  );

describe("the preview identity - signs in read-only when the admin password is not in the environment", () => {
  let server: ServerNode;
  let admin: Awaited<ReturnType<typeof openManager>>;
  let connection: ConnectionArgs;
  beforeAll(async () => {
    server = await startServer({ extraConfig: authorization() });
    admin = await openManager([server.url], { user: "event-bus-admin", pass: password("admin") });
    await addStream(admin.jsm, { name: "ATHLETE_ALLY_EVENTS", subjects: ["athlete-ally.>"] });
    await admin.jsm.consumers.add("ATHLETE_ALLY_EVENTS", { durable_name: "normalize-hrv-durable", ack_policy: "explicit" as never, filter_subject: "athlete-ally.hrv.raw-received" });
    await admin.nc.request("athlete-ally.hrv.raw-received", "one").catch(() => undefined);
    connection = { servers: [server.url], user: "event-bus-admin", passwordEnv: ADMIN_ENV, preview: { user: "event-bus-preview", passwordEnv: PREVIEW_ENV }, connectTimeoutMs: 2_000, retryBudgetMs: 0 };
  });
  afterAll(async () => {
    await closeConnections();
    await admin?.close();
    await server?.stop();
  });

  it("reads what a preview reads: the account, each stream and durable, their names and lists", async () => {
    await withEnv({ [PREVIEW_ENV]: password("preview") }, async () => {
      const jsm = await manager(connection);
      expect((await jsm.getAccountInfo()).streams).toBe(1);
      expect((await jsm.streams.info("ATHLETE_ALLY_EVENTS")).config.subjects).toEqual(["athlete-ally.>"]);
      expect(await jsm.streams.names().next()).toEqual(["ATHLETE_ALLY_EVENTS"]);
      expect((await jsm.streams.list().next()).map((s) => s.config.name)).toEqual(["ATHLETE_ALLY_EVENTS"]);
      expect((await jsm.consumers.info("ATHLETE_ALLY_EVENTS", "normalize-hrv-durable")).config.durable_name).toBe("normalize-hrv-durable");
      expect((await jsm.consumers.list("ATHLETE_ALLY_EVENTS").next()).map((c) => c.name)).toEqual(["normalize-hrv-durable"]);
    });
  });

  it("creates, updates and deletes nothing, reads no message and publishes nothing; the bus is as it was", async () => {
    const before = await admin.jsm.streams.info("ATHLETE_ALLY_EVENTS");
    await withEnv({ [PREVIEW_ENV]: password("preview") }, async () => {
      const jsm = await manager(connection);
      expect(await refused(jsm.streams.add({ name: "AA_CORE_HOT", subjects: ["athlete-ally.hrv.>"] }))).toMatch(/^refused: .*permissions violation/i);
      expect(await refused(jsm.streams.update("ATHLETE_ALLY_EVENTS", { max_age: 1_000_000_000 }))).toMatch(/^refused: .*permissions violation/i);
      expect(await refused(jsm.streams.delete("ATHLETE_ALLY_EVENTS"))).toMatch(/^refused: .*permissions violation/i);
      expect(await refused(jsm.streams.purge("ATHLETE_ALLY_EVENTS"))).toMatch(/^refused: .*permissions violation/i);
      expect(await refused(jsm.consumers.delete("ATHLETE_ALLY_EVENTS", "normalize-hrv-durable"))).toMatch(/^refused: .*permissions violation/i);
      expect(await refused(jsm.consumers.add("ATHLETE_ALLY_EVENTS", { durable_name: "rogue", ack_policy: "explicit" as never }))).toMatch(/^refused: .*permissions violation/i);
      expect(await refused(jsm.streams.getMessage("ATHLETE_ALLY_EVENTS", { seq: 1 }))).toMatch(/^refused: .*permissions violation/i);
    });
    const after = await admin.jsm.streams.info("ATHLETE_ALLY_EVENTS");
    expect({ subjects: after.config.subjects, maxAge: after.config.max_age, messages: after.state.messages, consumers: after.state.consumer_count }).toEqual({
      subjects: before.config.subjects,
      maxAge: before.config.max_age,
      messages: before.state.messages,
      consumers: before.state.consumer_count,
    });
    expect((await admin.jsm.streams.names().next()).sort()).toEqual(["ATHLETE_ALLY_EVENTS"]);
    // Nor does it publish into a stream as a plain client.
    const nc = await connect({ servers: server.url, user: "event-bus-preview", pass: password("preview") });
    try {
      nc.publish("athlete-ally.hrv.raw-received", "from a preview");
      await nc.flush();
    } finally {
      await nc.close().catch(() => undefined);
    }
    expect((await admin.jsm.streams.info("ATHLETE_ALLY_EVENTS")).state.messages).toBe(before.state.messages);
  });

  it("its replies come to an inbox of its own, which no service may read; it reads no service's", async () => {
    const subscribeAs = async (user: string, pass: string, subject: string) => {
      const nc = await connect({ servers: server.url, user, pass });
      const violation = new Promise<string>((resolve) => {
        void (async () => {
          for await (const s of nc.status()) if (s.type === "error") resolve(`refused: ${String((s as { error?: Error }).error?.message ?? s.type)}`);
        })();
        setTimeout(() => resolve("allowed"), 1_500);
      });
      nc.subscribe(subject);
      await nc.flush().catch(() => undefined);
      const r = await violation;
      await nc.close().catch(() => undefined);
      return r;
    };
    expect(await subscribeAs("ingest-service", password("ingest"), `${PREVIEW_INBOX_PREFIX}.>`)).toMatch(/^refused: .*Permissions Violation/i);
    expect(await subscribeAs("normalize-service", password("normalize"), `${PREVIEW_INBOX_PREFIX}.>`)).toMatch(/^refused: .*Permissions Violation/i);
    expect(await subscribeAs("event-bus-preview", password("preview"), "_INBOX.>")).toMatch(/^refused: .*Permissions Violation/i);
    expect(await subscribeAs("event-bus-preview", password("preview"), `${PREVIEW_INBOX_PREFIX}.>`)).toBe("allowed");
  });

  it("with the admin password in the environment it signs in as admin and writes; with neither, it names both variables before connecting", async () => {
    await withEnv({ [ADMIN_ENV]: password("admin"), [PREVIEW_ENV]: password("preview") }, async () => {
      const jsm = await manager(connection);
      await jsm.streams.add({ name: "AA_DLQ", subjects: ["dlq.>"] });
      await jsm.streams.delete("AA_DLQ");
    });
    await withEnv({}, async () => {
      await expect(manager(connection)).rejects.toThrow(
        `can not sign in to NATS: neither ${ADMIN_ENV} (event-bus:nats.passwordEnv: event-bus-admin's password) is set in the environment of the process that runs pulumi, nor ${PREVIEW_ENV} (event-bus:nats.preview.passwordEnv: the read-only event-bus-preview, for a preview)`,
      );
    });
  });
});
