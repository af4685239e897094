/**
 * Every way the providers authenticate, against real servers that require it; a wrong
 * credential gives a clear error that never contains a credential.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createUser, decode, fromPublic } from "@nats-io/nkeys";
import { clientOptions, closeConnections } from "../../components/jetstream/client";
import { redact } from "../../components/jetstream/connection-args";
import * as streams from "../../components/providers/stream-provider";
import { ServerNode, startServer } from "../helpers/nats-servers";

const PASSWORD = "adm1n-pa55-s3cret";
const TOKEN = "t0ken-s3cret-value";
const nkeyUser = createUser();
const NKEY_SEED = new TextDecoder().decode(nkeyUser.getSeed());

const stream = (name: string, connection: Record<string, unknown>) => ({ name, subjects: [`${name.toLowerCase()}.>`], connection: { connectTimeoutMs: 2_000, retryBudgetMs: 0, ...connection } });

async function roundTrip(name: string, connection: Record<string, unknown>): Promise<void> {
  const { id, outs } = await streams.create(stream(name, connection));
  expect(id).toBe(name);
  await streams.deleteStream(id, outs as streams.StreamOutputs);
}

describe("credentials - user/password and nkey", () => {
  let server: ServerNode;
  beforeAll(async () => {
    server = await startServer({
      extraConfig: `authorization { users: [ { user: "admin", password: "${PASSWORD}" }, { nkey: "${nkeyUser.getPublicKey()}" } ] }`,
    });
  });
  afterAll(async () => {
    await closeConnections();
    await server?.stop();
  });

  it("user and password", async () => {
    await roundTrip("USERPASS", { servers: [server.url], user: "admin", password: PASSWORD });
  });

  it("an nkey seed", async () => {
    await roundTrip("NKEY", { servers: [server.url], nkeySeed: NKEY_SEED });
  });

  it("a wrong password: a clear error without the password in it", async () => {
    const wrong = `${PASSWORD}-wrong`;
    const err = (await streams.create(stream("DENIED", { servers: [server.url], user: "admin", password: wrong })).catch((e) => e)) as Error;
    expect(err.message).toMatch(/stream DENIED: connect: can not reach NATS at nats:\/\/127\.0\.0\.1:\d+: .*Authorization Violation/i);
    expect(err.message).not.toContain(wrong);
    expect(err.stack ?? "").not.toContain(wrong);
  });
});

describe("credentials - token", () => {
  let server: ServerNode;
  beforeAll(async () => {
    server = await startServer({ extraConfig: `authorization { token: "${TOKEN}" }` });
  });
  afterAll(async () => {
    await closeConnections();
    await server?.stop();
  });

  it("a token", async () => {
    await roundTrip("TOKEN", { servers: [server.url], token: TOKEN });
  });

  it("no credentials: a clear error", async () => {
    const err = (await streams.create(stream("ANON", { servers: [server.url] })).catch((e) => e)) as Error;
    expect(err.message).toMatch(/stream ANON: connect: can not reach NATS .*Authorization Violation/i);
  });
});

describe("credentials - TLS with a client certificate", () => {
  let server: ServerNode;
  let dir: string;
  const file = (n: string) => path.join(dir, n);
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-tls-"));
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    fs.writeFileSync(file("san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=event-bus test CA");
    for (const who of ["server", "client"]) {
      ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${who}.key`, "-out", `${who}.csr`, "-subj", `/CN=${who}`);
      ssl("x509", "-req", "-in", `${who}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${who}.pem`, "-days", "2", "-extfile", "san.cnf");
    }
    server = await startServer({
      extraConfig: `tls { cert_file: "${file("server.pem")}", key_file: "${file("server.key")}", ca_file: "${file("ca.pem")}", verify: true }`,
    });
  });
  afterAll(async () => {
    await closeConnections();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("CA, certificate and key given as file paths", async () => {
    await roundTrip("TLSFILES", { servers: [server.url.replace("nats://", "tls://")], tls: { ca: file("ca.pem"), cert: file("client.pem"), key: file("client.key") } });
  });

  it("CA, certificate and key given as PEM text (as from a Pulumi secret)", async () => {
    const pem = (n: string) => fs.readFileSync(file(n), "utf8");
    await roundTrip("TLSPEM", { servers: [server.url.replace("nats://", "tls://")], tls: { ca: pem("ca.pem"), cert: pem("client.pem"), key: pem("client.key") } });
  });

  it("without a client certificate the server refuses, with a clear error", async () => {
    const err = (await streams.create(stream("NOCERT", { servers: [server.url.replace("nats://", "tls://")], tls: { ca: file("ca.pem") } })).catch((e) => e)) as Error;
    expect(err.message).toMatch(/stream NOCERT: connect: can not reach NATS at tls:\/\/127\.0\.0\.1:\d+/);
  });
});

describe("credentials - creds files and redaction", () => {
  it("a creds file is read when connecting, not when the options are made: each sign-in uses what the file holds then", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "event-bus-creds-"));
    const file = path.join(dir, "admin.creds");
    const creds = (jwt: string, seed: Uint8Array) =>
      `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(seed)}\n------END USER NKEY SEED------\n`;
    try {
      // Made before the file exists: nothing is read yet.
      const opts = clientOptions({ servers: ["nats://127.0.0.1:4222"], credsFile: file });
      const signIn = opts.authenticator as unknown as (nonce?: string) => { jwt: string; nkey: string; sig: string };
      const nonce = "server-nonce-1";
      const verified = (a: { nkey: string; sig: string }) => fromPublic(a.nkey).verify(new TextEncoder().encode(nonce), decode(a.sig));
      const [first, second] = [createUser(), createUser()];
      fs.writeFileSync(file, creds("jwt.of.first", first.getSeed()));
      const one = signIn(nonce);
      expect({ jwt: one.jwt, nkey: one.nkey, verified: verified(one) }).toEqual({ jwt: "jwt.of.first", nkey: first.getPublicKey(), verified: true });
      // Rotated on disk: the next sign-in presents the new credentials.
      fs.writeFileSync(file, creds("jwt.of.second", second.getSeed()));
      const two = signIn(nonce);
      expect({ jwt: two.jwt, nkey: two.nkey, verified: verified(two) }).toEqual({ jwt: "jwt.of.second", nkey: second.getPublicKey(), verified: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("redact replaces every credential in a text", () => {
    expect(redact(`failed with ${TOKEN} and ${PASSWORD}`, [TOKEN, PASSWORD])).toBe("failed with [secret] and [secret]");
  });
});
