/**
 * Who a run signs in as (components/jetstream/identity.ts) and the program's checks of it before
 * anything is planned (components/config/identity-problems.ts, kubernetes-config.ts): pure.
 * test/kubernetes/preview-user.server.test.ts signs in on a real server; the Kubernetes engine
 * suites preview as the preview user and refuse its up.
 */
import * as bcrypt from "bcryptjs";
import { identityProblems } from "../../components/config/identity-problems";
import { parseStackConfig } from "../../components/config/stack-config";
import { connectionSchema, secretsOf, type ConnectionArgs } from "../../components/jetstream/connection-args";
import { PREVIEW_INBOX_PREFIX, signIn } from "../../components/jetstream/identity";
import { kubernetesConfigOf } from "../../components/kubernetes/kubernetes-config";
import { stackConfigFile } from "../helpers/stack-files";

const c: ConnectionArgs = { servers: ["nats://127.0.0.1:4222"], user: "event-bus-admin", passwordEnv: "ADMIN_PW", preview: { user: "event-bus-preview", passwordEnv: "PREVIEW_PW" } };
const hashes = { admin: bcrypt.hashSync("admin-secret", 10), preview: bcrypt.hashSync("preview-secret", 10) };

describe("identity - which user a run signs in as", () => {
  it("the admin when its variable is set, else the read-only preview user with its own inbox, else none, naming both variables", () => {
    expect(signIn(c, { ADMIN_PW: "a", PREVIEW_PW: "p" })).toEqual({ servers: c.servers, user: "event-bus-admin", password: "a" });
    expect(signIn(c, { PREVIEW_PW: "p" })).toEqual({ servers: c.servers, user: "event-bus-preview", password: "p", inboxPrefix: PREVIEW_INBOX_PREFIX });
    // An empty variable is a missing one (GitHub gives a job a secret it does not have as "").
    expect(signIn(c, { ADMIN_PW: "", PREVIEW_PW: "p" }).user).toBe("event-bus-preview");
    expect(() => signIn(c, {})).toThrow(/neither ADMIN_PW \(event-bus:nats.passwordEnv: event-bus-admin's password\) is set .*, nor PREVIEW_PW \(event-bus:nats.preview.passwordEnv/);
    // A connection with its password in it is used as it is.
    expect(signIn({ servers: c.servers, user: "u", password: "p" }, {})).toEqual({ servers: c.servers, user: "u", password: "p" });
  });

  it("the passwords its variables hold are redacted like any secret", () => {
    expect(secretsOf(c, { ADMIN_PW: "admin-secret", PREVIEW_PW: "preview-secret" })).toEqual(["admin-secret", "preview-secret"]);
  });

  it("the connection's shape: a password from one place, a preview only with passwordEnv, a variable of its own", () => {
    const issues = (x: unknown) => (connectionSchema.safeParse(x).error?.issues ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(issues(c)).toEqual([]);
    expect(issues({ ...c, password: "x" })).toEqual([expect.stringMatching(/^passwordEnv: expected the password from one place/)]);
    expect(issues({ servers: c.servers, user: "u", preview: c.preview })).toEqual(expect.arrayContaining([expect.stringMatching(/^preview: expected passwordEnv with preview/)]));
    expect(issues({ ...c, preview: { passwordEnv: "ADMIN_PW" } })).toEqual([expect.stringMatching(/^preview.passwordEnv: expected a variable of its own/)]);
    expect(issues({ ...c, passwordEnv: "admin password" })).toEqual([expect.stringMatching(/^passwordEnv: expected the name of an environment variable/)]);
  });
});

describe("identity - the program's checks before anything is planned", () => {
  it("an up needs the admin password; a preview may run as the preview user; each password must be its hash's", () => {
    expect(identityProblems(c, hashes, { ADMIN_PW: "admin-secret" }, false)).toEqual([]);
    expect(identityProblems(c, hashes, { PREVIEW_PW: "preview-secret" }, true)).toEqual([]);
    expect(identityProblems(c, hashes, { PREVIEW_PW: "preview-secret" }, false)).toEqual([
      { key: "nats.passwordEnv", reason: "expected ADMIN_PW to be set for an update: only PREVIEW_PW is, whose user (event-bus-preview) may only read" },
    ]);
    expect(identityProblems(c, hashes, {}, true)).toEqual([{ key: "nats.passwordEnv", reason: expect.stringMatching(/^expected a password in the environment: neither ADMIN_PW/) }]);
    expect(identityProblems(c, hashes, { ADMIN_PW: "not-it" }, false)).toEqual([
      { key: "kubernetes.nats.passwordHashes.admin", reason: "expected the hash of the password ADMIN_PW holds: they do not match, so the servers would refuse it" },
    ]);
    expect(identityProblems(c, hashes, { PREVIEW_PW: "not-it" }, true)[0].key).toBe("kubernetes.nats.passwordHashes.preview");
    // Without a hash (a bus the stack does not run) nothing is compared.
    expect(identityProblems(c, undefined, { ADMIN_PW: "any" }, false)).toEqual([]);
  });

  it("the admin's password is compared with the hash of the slot the up signs in with (kubernetes.nats.passwordSlots.admin)", () => {
    const both = { ...hashes, "admin-b": bcrypt.hashSync("new-admin-secret", 4) };
    // "a>b": the servers learn b while the up still signs in with a.
    expect(identityProblems(c, both, { ADMIN_PW: "admin-secret" }, false, "a>b")).toEqual([]);
    expect(identityProblems(c, both, { ADMIN_PW: "new-admin-secret" }, false, "a>b")[0].key).toBe("kubernetes.nats.passwordHashes.admin");
    // "b": the secret changed to b's password.
    expect(identityProblems(c, both, { ADMIN_PW: "new-admin-secret" }, false, "b")).toEqual([]);
    expect(identityProblems(c, both, { ADMIN_PW: "admin-secret" }, false, "b")[0].key).toBe("kubernetes.nats.passwordHashes.admin-b");
  });

  it("a stack file that keeps passwords out gives their hashes, and the reverse; each problem names its key", () => {
    const file = stackConfigFile("production");
    const nats = file.nats as Record<string, unknown>;
    const k = file.kubernetes as { nats: Record<string, unknown> };
    const judge = (n: Record<string, unknown>, kn: Record<string, unknown>) => () => kubernetesConfigOf(parseStackConfig({ ...file, nats: n, kubernetes: { ...k, nats: kn } }));
    expect(judge(nats, k.nats)).not.toThrow();
    expect(judge(nats, { ...k.nats, passwordHashes: undefined })).toThrow(/event-bus:nats.passwordEnv: expected event-bus:kubernetes.nats.passwordHashes.admin with it[\s\S]*event-bus:nats.preview: expected event-bus:kubernetes.nats.passwordHashes.preview/);
    expect(judge({ servers: nats.servers }, { ...k.nats, passwordHashes: { admin: (k.nats.passwordHashes as { admin: string }).admin } })).toThrow(/event-bus:kubernetes.nats.passwordHashes.admin: expected event-bus:nats.passwordEnv with it/);
    expect(judge({ ...nats, preview: { user: "someone", passwordEnv: "PREVIEW_PW" } }, k.nats)).toThrow(/event-bus:nats.preview.user: expected "event-bus-preview"/);
    expect(judge(nats, { ...k.nats, passwordHashes: { admin: "hunter2" } })).toThrow(/event-bus:kubernetes.nats.passwordHashes.admin: expected the bcrypt hash of the admin password/);
  });
});
