/**
 * The NATS users the stack deploys, with the permissions its nats.conf gives them, on a real
 * server: each service can do what the seeds' code does, and no more.
 */
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { parseStackConfig } from "../../components/config/stack-config";
import { natsUsers } from "../../components/kubernetes/nats-users";
import { renderNatsConf } from "../../components/kubernetes/nats-conf";
import { addStream, openManager } from "../helpers/jetstream";
import { passwordVariables } from "../helpers/nats-conf-files";
import { startServer, type ServerNode } from "../helpers/nats-servers";
import { stackConfigFile } from "../helpers/stack-files";

const password = (name: string) => `test-${name}-password-0123`;
/** The authorization block of production's nats.conf, after the variables of its passwords file (the hashes). */
function authorization(): string {
  const users = natsUsers(parseStackConfig(stackConfigFile("production")));
  const conf = renderNatsConf({ name: "nats", headlessService: "nats-headless", storeDir: "/data/jetstream", clusterName: "nats", replicas: 1, storageSize: "1Gi", users });
  const block = conf.slice(conf.indexOf("authorization {"));
  return `${passwordVariables(users, password)}\n${block}`;
}

describe("nats users - what each service may do, on a real server with the stack's permissions", () => {
  let server: ServerNode;
  let admin: Awaited<ReturnType<typeof openManager>>;
  beforeAll(async () => {
    server = await startServer({ extraConfig: authorization() });
    admin = await openManager([server.url], { user: "event-bus-admin", pass: password("admin") });
    await addStream(admin.jsm, { name: "AA_DLQ", subjects: ["dlq.>"] });
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
  });

  /** Publishes as a user through JetStream; resolves where it was stored, or the error. */
  async function publishAs(user: "normalize" | "ingest", subject: string): Promise<string> {
    const nc = await connect({ servers: server.url, user: `${user}-service`, pass: password(user) });
    try {
      const ack = await jetstream(nc, { timeout: 2_000 }).publish(subject, "dead letter");
      return `${ack.stream}#${ack.seq}`;
    } catch (e) {
      return `refused: ${(e as Error).message}`;
    } finally {
      await nc.close();
    }
  }

  it("normalize-service sends dead letters to its DLQ subject, and under it (the seeds log it as a prefix)", async () => {
    expect(await publishAs("normalize", "dlq.normalize.hrv.raw-received")).toMatch(/^AA_DLQ#\d+$/);
    expect(await publishAs("normalize", "dlq.normalize.hrv.raw-received.max-deliveries")).toMatch(/^AA_DLQ#\d+$/);
    expect(await publishAs("normalize", "dlq.normalize.oura.sleep")).toMatch(/^AA_DLQ#\d+$/);
  });

  it("neither service writes another's dead letters or a subject outside its own", async () => {
    expect(await publishAs("normalize", "dlq.ingest.anything")).toMatch(/^refused: /);
    expect(await publishAs("ingest", "dlq.normalize.hrv.raw-received")).toMatch(/^refused: /);
    expect((await admin.jsm.streams.info("AA_DLQ")).state.messages).toBe(3);
  });
});
