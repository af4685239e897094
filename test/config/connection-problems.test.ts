/** The connection's problems named by the stack keys that set them (components/config/connection-problems.ts). */
import { connectionProblems } from "../../components/config/connection-problems";

describe("the connection's problems, by stack key", () => {
  it("names a bad secret by its secret key and a plain field by its event-bus:nats path, never the value", () => {
    const problems = connectionProblems({ servers: ["http://bus:4222"], nkeySeed: "SXNOTASEED" });
    expect(problems).toEqual([
      { key: "nats.servers[0]", reason: 'expected a nats://, tls://, ws:// or wss:// URL, got "http:"' },
      { key: "natsNkeySeed", reason: "expected an nkey user seed starting with SU" },
    ]);
    expect(JSON.stringify(problems)).not.toContain("SXNOTASEED");
  });

  it("names a password without its user by the user's key, and finds nothing wrong with a good connection", () => {
    expect(connectionProblems({ servers: ["nats://bus:4222"], password: "secret-value" })).toEqual([{ key: "nats.user", reason: "expected a user with password" }]);
    expect(connectionProblems({ servers: ["nats://bus:4222"], user: "admin", password: "secret-value" })).toEqual([]);
  });

  it("names a TLS file that does not exist before anything connects; PEM text and a file that exists pass", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    expect(connectionProblems({ servers: ["nats://bus:4222"], tls: { ca: "nats-ca/nobody-made-this.crt" } })).toEqual([
      { key: "nats.tls.ca", reason: "expected PEM text or a file that exists: nats-ca/nobody-made-this.crt was not found (a relative path is read from the directory pulumi runs in)" },
    ]);
    expect(connectionProblems({ servers: ["nats://bus:4222"], tls: { ca: pem, cert: __filename, key: __filename } })).toEqual([]);
  });
});
