/**
 * Turning authorization on under clients without credentials, in two stages (issue 29), on a real
 * server with the nats.conf the stack renders: with kubernetes.nats.anonymousClients "allow" a
 * client that connects without credentials (as the seeds' NATS_URLs do) keeps publishing and
 * reading, signed in as event-bus-anonymous, and `npm run anonymous-clients` names it from the
 * monitoring endpoint; with "deny" it is refused, and the stack's users still sign in.
 */
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { ANONYMOUS_USER } from "../../components/kubernetes/nats-users";
import { listAnonymousClients } from "../../scripts/lib/anonymous-clients";
import { addStream, openManager } from "../helpers/jetstream";
import { passwordVariables } from "../helpers/nats-conf-files";
import { startServer, type ServerNode } from "../helpers/nats-servers";
import { render } from "../helpers/render";

const password = (name: string) => `test-${name}-password-0123`;

/** The authorization of staging's nats.conf for `anonymousClients`, after the variables of its passwords file (the hashes). */
function authorization(anonymousClients: "allow" | "deny"): string {
  const { m } = render("staging", { kubernetes: { nats: { anonymousClients } } });
  const conf = m.natsConfig.data!["nats.conf"];
  const block = conf.slice(conf.search(/^(# The system account|# Clients without credentials|authorization \{)/m));
  return `${passwordVariables(m.users, password)}\n${block}`;
}

describe.each(["allow", "deny"] as const)("anonymous clients: %s", (mode) => {
  let server: ServerNode;
  beforeAll(async () => {
    server = await startServer({ extraConfig: authorization(mode) });
    const admin = await openManager([server.url], { user: "event-bus-admin", pass: password("admin") });
    await addStream(admin.jsm, { name: "ATHLETE_ALLY_EVENTS", subjects: ["athlete-ally.>"] });
    await admin.close();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(mode === "allow" ? "a client without credentials publishes and reads as before, and is listed by name" : "a client without credentials is refused; the stack's users still sign in", async () => {
    const anonymous = connect({ servers: server.url, name: "legacy-script" });
    if (mode === "deny") {
      await expect(anonymous).rejects.toThrow(/Authorization Violation/i);
      const ingest = await connect({ servers: server.url, user: "ingest-service", pass: password("ingest") });
      expect((await jetstream(ingest).publish("athlete-ally.hrv.raw-received", "x")).stream).toBe("ATHLETE_ALLY_EVENTS");
      await ingest.close();
      expect(await listAnonymousClients([server.monitorUrl])).toEqual([]);
      return;
    }
    const nc = await anonymous;
    const ack = await jetstream(nc).publish("athlete-ally.hrv.raw-received", "from a client without credentials");
    expect(ack.stream).toBe("ATHLETE_ALLY_EVENTS");
    const sub = nc.subscribe("legacy.replies", { max: 1 });
    await nc.flush();
    const listed = await listAnonymousClients([server.monitorUrl]);
    // Its subscriptions: legacy.replies, and the reply inbox the publish used.
    expect(listed.map((c) => ({ name: c.name, published: c.published, subscriptions: c.subscriptions }))).toEqual([{ name: "legacy-script", published: 1, subscriptions: 2 }]);
    expect(ANONYMOUS_USER.user).toBe("event-bus-anonymous");
    // A client with credentials is not listed.
    const ingest = await connect({ servers: server.url, user: "ingest-service", pass: password("ingest"), name: "ingest" });
    expect((await listAnonymousClients([server.monitorUrl])).map((c) => c.name)).toEqual(["legacy-script"]);
    sub.unsubscribe();
    await ingest.close();
    await nc.close();
  });
});
