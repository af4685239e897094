/**
 * A service user's password changes through two slots (kubernetes.nats.passwordSlots), because
 * nats-server knows one password per user name: what the servers accept and what each service
 * signs in with, in every stage of a rotation; and the settings refused, naming the key.
 */
import { carriedHashProblems, carriedSlotProblems } from "../../components/kubernetes/kubernetes-config";
import { credentialKey, externalPasswordSecretName, slotsOf } from "../../components/kubernetes/nats-users";
import { passwordVariable } from "../../components/kubernetes/nats-passwords";
import { passwordSecretName } from "../../components/kubernetes/nats-cluster";
import { render } from "../helpers/render";
import { stackConfigFile } from "../helpers/stack-files";

/** Production's stack file's hashes but the services': their passwords in the stack (generated, or carried over). */
const { ingest: _i, normalize: _n, ...STACK_KEPT } = (stackConfigFile("production").kubernetes as { nats: { passwordHashes: Record<string, string> } }).nats.passwordHashes;
const withSlots = (ingest?: string, normalize?: string) =>
  render("production", { kubernetes: { nats: { passwordHashes: STACK_KEPT, passwordSlots: { ...(ingest ? { ingest } : {}), ...(normalize ? { normalize } : {}) } } } }).m;

/** The nats.conf user names and the env of each service's Deployment. */
function seen(m: ReturnType<typeof withSlots>) {
  const conf = m.natsConfig.data!["nats.conf"];
  const users = [...conf.matchAll(/\{ user: "([^"]+)", password: \$(\w+)/g)].map((x) => `${x[1]}=${x[2]}`);
  const env = Object.fromEntries(
    m.deployments.map((d) => {
      const e = d.spec!.template.spec!.containers[0].env!;
      return [d.metadata!.name!, `${e.find((x) => x.name === "NATS_USER")!.value} ${e.find((x) => x.name === "NATS_PASSWORD")!.valueFrom!.secretKeyRef!.name}`];
    }),
  );
  return { users: users.filter((u) => /ingest|normalize/.test(u)), env };
}

describe("kubernetes - password slots", () => {
  it("says which slot a service uses and which other one the servers still accept", () => {
    expect(slotsOf()).toEqual({ use: "a" });
    expect(slotsOf("b")).toEqual({ use: "b" });
    expect(slotsOf("a>b")).toEqual({ use: "b", standby: "a" });
    expect(slotsOf("b>a")).toEqual({ use: "a", standby: "b" });
    expect([credentialKey({ name: "ingest" }), credentialKey({ name: "ingest", slot: "b" })]).toEqual(["ingest", "ingest-b"]);
    expect([passwordVariable({ name: "ingest", slot: "b" }), passwordSecretName({ name: "ingest", slot: "b" })]).toEqual(["PASSWORD_INGEST_B", "event-bus-nats-ingest-b"]);
  });

  it("a rotation: slot a alone, both while the service moves to b, then b alone; the other service untouched", () => {
    expect(seen(withSlots())).toEqual({
      users: ["ingest-service=PASSWORD_INGEST", "normalize-service=PASSWORD_NORMALIZE"],
      env: { "normalize-service": "normalize-service event-bus-nats-normalize", "ingest-service": "ingest-service event-bus-nats-ingest" },
    });
    expect(seen(withSlots("a>b"))).toEqual({
      users: ["ingest-service-b=PASSWORD_INGEST_B", "ingest-service=PASSWORD_INGEST", "normalize-service=PASSWORD_NORMALIZE"],
      env: { "normalize-service": "normalize-service event-bus-nats-normalize", "ingest-service": "ingest-service-b event-bus-nats-ingest-b" },
    });
    expect(seen(withSlots("b", "b>a"))).toEqual({
      users: ["ingest-service-b=PASSWORD_INGEST_B", "normalize-service=PASSWORD_NORMALIZE", "normalize-service-b=PASSWORD_NORMALIZE_B"],
      env: { "normalize-service": "normalize-service event-bus-nats-normalize", "ingest-service": "ingest-service-b event-bus-nats-ingest-b" },
    });
  });

  it("the admin moves one up later than a service: with a>b the up still signs in with a, whose password its environment holds", () => {
    expect(slotsOf("a>b", "admin")).toEqual({ use: "a", standby: "b" });
    expect(slotsOf("b>a", "admin")).toEqual({ use: "b", standby: "a" });
    const file = (stackConfigFile("production").kubernetes as { nats: { passwordHashes: object } }).nats.passwordHashes;
    const hashes = { ...file, admin: "$2a$11$" + "a".repeat(53), "admin-b": "$2a$11$" + "b".repeat(53) };
    const admins = (slots: string) => render("production", { kubernetes: { nats: { passwordSlots: { admin: slots }, passwordHashes: hashes } } }).m.users.filter((u) => u.name === "admin").map((u) => `${u.user} ${u.hash!.slice(7, 8)}${u.standby ? " standby" : ""}`);
    expect(admins("a")).toEqual(["event-bus-admin a"]);
    expect(admins("a>b")).toEqual(["event-bus-admin a", "event-bus-admin-b b standby"]);
    expect(admins("b")).toEqual(["event-bus-admin-b b"]);
    // Each slot the servers accept needs its hash, named by its key.
    expect(() => render("production", { kubernetes: { nats: { passwordSlots: { admin: "a>b" } } } })).toThrow(/event-bus:nats\.passwordEnv: expected event-bus:kubernetes\.nats\.passwordHashes\.admin-b with it: the servers get the hash of the admin's slot b password/);
  });

  it("a service's slot kept out of the stack (its hash given): the servers get the hash, the service reads the Secret its owner made, under a name the stack's own never has", () => {
    const hash = "$2a$11$" + "i".repeat(53);
    const out = (slots: string) => render("production", { kubernetes: { nats: { passwordSlots: { ingest: slots }, passwordHashes: { ...STACK_KEPT, "ingest-b": hash } } } }).m;
    const m = out("a>b");
    expect(m.users.filter((u) => u.name === "ingest").map((u) => `${u.user} ${u.hash ?? "in the stack"}${u.standby ? " standby" : ""}`)).toEqual([`ingest-service-b ${hash}`, "ingest-service in the stack standby"]);
    expect(seen(m).env["ingest-service"]).toBe("ingest-service-b event-bus-nats-ingest-b-external");
    expect(seen(out("b")).env["ingest-service"]).toBe("ingest-service-b event-bus-nats-ingest-b-external");
    // Slot a (no hash) stays the stack's, and so does the other service.
    expect(seen(out("a"))).toEqual({ users: ["ingest-service=PASSWORD_INGEST", "normalize-service=PASSWORD_NORMALIZE"], env: { "normalize-service": "normalize-service event-bus-nats-normalize", "ingest-service": "ingest-service event-bus-nats-ingest" } });
    expect([externalPasswordSecretName({ name: "normalize" }), externalPasswordSecretName({ name: "normalize", slot: "b" })]).toEqual(["event-bus-nats-normalize-external", "event-bus-nats-normalize-b-external"]);
    // Production's stack file keeps both services' passwords out of the stack; staging's does not.
    expect(seen(render("production").m).env).toEqual({ "normalize-service": "normalize-service event-bus-nats-normalize-external", "ingest-service": "ingest-service event-bus-nats-ingest-external" });
    expect(seen(render("staging").m).env).toEqual({ "normalize-service": "normalize-service event-bus-nats-normalize", "ingest-service": "ingest-service event-bus-nats-ingest" });
    // A hash that is not bcrypt's is refused, naming the key.
    expect(() => render("production", { kubernetes: { nats: { passwordHashes: { normalize: "hunter2" } } } })).toThrow(/event-bus:kubernetes\.nats\.passwordHashes\.normalize: expected/);
  });

  it("refuses a carried-over password whose slot's hash is given: the hash's password is kept out of the stack", () => {
    expect(carriedHashProblems({ "ingest-b": "h" }, ["ingest"])).toEqual([]);
    expect(carriedHashProblems({ ingest: "h", admin: "h" }, ["ingest", "admin", "normalize"]).map((p) => p.key)).toEqual(["natsUserPasswords.admin", "natsUserPasswords.ingest"]);
    expect(carriedHashProblems({ ingest: "h" }, ["ingest"])[0].reason).toMatch(/Secret event-bus-nats-ingest-external, which its owner made/);
  });

  it("slot b has the same permissions as slot a", () => {
    const users = withSlots("a>b", "a>b").users;
    for (const name of ["ingest", "normalize"]) {
      const [b, a] = users.filter((u) => u.name === name);
      expect({ ...b, user: b.user.replace(/-b$/, ""), slot: undefined, standby: a.standby }).toEqual({ ...a, slot: undefined });
    }
  });

  it("refuses a slot it does not know and a carried-over password the rotation retired, naming the key", () => {
    expect(() => withSlots("c")).toThrow(/event-bus:kubernetes\.nats\.passwordSlots\.ingest: expected the ingest password's slots: "a" or "b"/);
    expect(carriedSlotProblems({ ingest: "a>b" }, ["ingest"])).toEqual([]);
    expect(carriedSlotProblems({ normalize: "b" }, ["ingest"])).toEqual([]);
    expect(carriedSlotProblems({ ingest: "b", normalize: "b>a" }, ["ingest", "normalize"]).map((p) => p.key)).toEqual(["natsUserPasswords.ingest", "natsUserPasswords.normalize"]);
    expect(carriedSlotProblems({ admin: "b>a" }, ["admin"]).map((p) => p.key)).toEqual(["natsUserPasswords.admin"]);
    expect(carriedSlotProblems({ ingest: "b" }, ["ingest"])[0].reason).toMatch(/slot a's, which the rotation retired .*pulumi config rm --path event-bus:natsUserPasswords\.ingest/);
  });
});
