/**
 * Carried-over passwords of any characters reach a real nats-server exactly (issue 30): the stack
 * gives the servers each password's bcrypt hash, quoted, in the variables file its nats.conf
 * includes (nats-passwords.ts). Before, nats.conf read `$NATS_<USER>_PASSWORD` from the
 * environment, and nats-server parses such a value as configuration: whitespace, `,`, `;`, `]`,
 * `}`, `\`, a leading quote, `{`, `[`, `$`, `-`, or `yes`/`on`/`true` truncated it or broke the file.
 */
import * as fs from "node:fs";
import { connect } from "@nats-io/transport-node";
import * as bcrypt from "bcryptjs";
import { parseStackConfig } from "../../components/config/stack-config";
import { renderNatsConf } from "../../components/kubernetes/nats-conf";
import { natsUsers } from "../../components/kubernetes/nats-users";
import { passwordHash, renderPasswordsConf } from "../../components/kubernetes/nats-passwords";
import { startServer, type ServerNode } from "../helpers/nats-servers";
import { stackConfigFile } from "../helpers/stack-files";

const users = natsUsers(parseStackConfig(stackConfigFile("production")));
const authorization = (() => {
  const conf = renderNatsConf({ name: "nats", headlessService: "nats-headless", storeDir: "/data/jetstream", clusterName: "nats", replicas: 1, storageSize: "1Gi", users });
  return conf.slice(conf.indexOf("authorization {"));
})();

/** Three users' passwords at a time: every character nats.conf's parser would have taken as its own. */
const SETS: Array<Record<"admin" | "ingest" | "normalize", string>> = [
  { admin: ' a,b;c]d}e\\f "g{h[i$j-k #l //m\tn\no ', ingest: "yes", normalize: '"leading-quote' },
  { admin: "on", ingest: "true", normalize: "-dash-first" },
  { admin: "$NOT_A_VARIABLE", ingest: "{brace-first", normalize: "[bracket-first" },
  { admin: "pässwörd-ünïcødé-✓", ingest: "'single'", normalize: "x".repeat(72) },
];

describe.each(SETS)("passwords carried over exactly: %j", (passwords) => {
  let server: ServerNode;
  const hashes = users.map((u) => ({ user: u, hash: passwordHash(passwords[u.name as keyof typeof passwords] ?? "generated-anonymous", `acme/event-bus/production/${u.name}`) }));
  beforeAll(async () => {
    server = await startServer({ extraConfig: `${renderPasswordsConf(hashes)}\n${authorization}` });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("each user signs in with its password as it is, and with nothing else; the server never sees the plaintext", async () => {
    for (const u of users.filter((x) => x.name in passwords)) {
      const pass = passwords[u.name as keyof typeof passwords];
      const nc = await connect({ servers: server.url, user: u.user, pass, reconnect: false });
      await nc.flush();
      await nc.close();
      const full = Buffer.byteLength(pass, "utf8") === 72;
      for (const wrong of [pass.slice(0, -1), `#${pass.slice(1)}`, ...(full ? [] : [`${pass}x`, pass.trim() === pass ? `${pass} ` : pass.trim()])]) {
        await expect(connect({ servers: server.url, user: u.user, pass: wrong, reconnect: false })).rejects.toThrow(/Authorization/i);
      }
      if (full) {
        // bcrypt reads 72 bytes and no more: what follows them is not compared. That is why
        // natsUserPasswords refuses a longer password (stack-config.ts), rather than let it in by its start.
        const longer = await connect({ servers: server.url, user: u.user, pass: `${pass}x`, reconnect: false });
        await longer.close();
      }
    }
    // What the server reads holds none of them (the short ones, such as "on", are words of nats.conf itself).
    const text = fs.readFileSync(server.configFile, "utf8");
    for (const pass of Object.values(passwords).filter((p) => p.length >= 8)) expect(text).not.toContain(pass);
  });

  it("the hash is bcrypt's, the same on every run for the same stack, user and password, and another for another user", () => {
    for (const h of hashes.filter((x) => x.user.name in passwords)) {
      const pass = passwords[h.user.name as keyof typeof passwords];
      expect(bcrypt.compareSync(pass, h.hash)).toBe(true);
      expect(passwordHash(pass, `acme/event-bus/production/${h.user.name}`)).toBe(h.hash);
      expect(passwordHash(pass, `acme/event-bus/production/other`)).not.toBe(h.hash);
    }
  });
});
