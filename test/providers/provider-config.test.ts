/** Which connections a delete or a read tries, and in which order (components/providers/provider-config.ts). */
import { candidates, connectionFromConfig } from "../../components/providers/provider-config";

const stored = { servers: ["nats://old:4222"], user: "admin", password: "old-password" };
const config = (values: Record<string, string>) => ({ get: (key: string) => values[key] });

describe("the connection of a delete or a read", () => {
  it("reads the servers and credentials the stack configuration gives now", () => {
    expect(connectionFromConfig(config({ "event-bus:nats": JSON.stringify({ servers: ["nats://new:4222"], user: "admin", connectTimeoutMs: 900 }), "event-bus:natsPassword": "new-password" }))).toEqual({
      servers: ["nats://new:4222"],
      user: "admin",
      password: "new-password",
    });
    expect(connectionFromConfig(config({ "event-bus:nats": "not json" }))).toEqual({});
  });

  it("speaks plain, as the program does, while the servers' TLS stage is before on (a refresh runs no program)", () => {
    const nats = JSON.stringify({ servers: ["nats://new:4222"], tls: { ca: "nats-ca/production.crt" } });
    const at = (tls?: object) => connectionFromConfig(config({ "event-bus:nats": nats, ...(tls ? { "event-bus:kubernetes": JSON.stringify({ nats: { tls } }) } : {}) }));
    expect(at({ secretName: "nats-tls", stage: "trust" })).toEqual({ servers: ["nats://new:4222"], plainOnly: true });
    expect(at({ secretName: "nats-tls", stage: "offer" })).toEqual({ servers: ["nats://new:4222"], plainOnly: true });
    expect(at({ secretName: "nats-tls" })).toEqual({ servers: ["nats://new:4222"], tls: { ca: "nats-ca/production.crt" } });
    expect(at()).toEqual({ servers: ["nats://new:4222"], tls: { ca: "nats-ca/production.crt" } });
  });

  it("tries the program's connection first, then the stored one with the configuration's credentials, then the stored one", () => {
    const declared = { servers: ["nats://old:4222"], user: "admin", password: "declared" };
    expect(candidates(stored, { declared: [declared], configured: { password: "configured" } })).toEqual([declared, { ...stored, password: "configured" }, stored]);
  });

  it("ignores the program's connection when resources disagree, and lists each connection once", () => {
    const a = { ...stored, password: "a" };
    const b = { ...stored, password: "b" };
    expect(candidates(stored, { declared: [a, b], configured: {} })).toEqual([stored]);
    expect(candidates(stored, { declared: [stored], configured: {} })).toEqual([stored]);
  });

  it("replaces the stored way of signing in whole when the configuration gives another", () => {
    expect(candidates(stored, { declared: [], configured: { token: "t0ken" } })).toEqual([{ servers: stored.servers, token: "t0ken" }, stored]);
    // A new password keeps the stored user; credentials that make no valid connection are not tried.
    expect(candidates(stored, { declared: [], configured: { password: "rotated" } })).toEqual([{ ...stored, password: "rotated" }, stored]);
    expect(candidates({ servers: ["nats://x:4222"], token: "t0ken" }, { declared: [], configured: { password: "no user" } })).toEqual([{ servers: ["nats://x:4222"], token: "t0ken" }]);
  });

  it("a stack that moved its admin password out of the stack: the configuration's variable replaces the stored password, and the reverse", () => {
    const configured = { passwordEnv: "EVENT_BUS_NATS_ADMIN_PASSWORD", preview: { user: "event-bus-preview", passwordEnv: "EVENT_BUS_NATS_PREVIEW_PASSWORD" } };
    expect(connectionFromConfig(config({ "event-bus:nats": JSON.stringify({ servers: ["nats://new:4222"], user: "admin", ...configured }) }))).toEqual({ servers: ["nats://new:4222"], user: "admin", ...configured });
    expect(candidates(stored, { declared: [], configured })).toEqual([{ servers: stored.servers, user: "admin", ...configured }, stored]);
    const fromEnv = { servers: stored.servers, user: "admin", ...configured };
    expect(candidates(fromEnv, { declared: [], configured: { password: "back-in-config" } })).toEqual([{ servers: stored.servers, user: "admin", password: "back-in-config" }, fromEnv]);
  });
});
