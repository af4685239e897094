/**
 * A secret given as plain configuration: `readStackConfig`, the one reader of `pulumi config`,
 * refuses it naming the key and the command that stores it as a secret, and never repeats the value.
 */
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig, SECRET_KEYS, StackConfigError, type SecretKey } from "../../components/config/stack-config";

const read = (all: Record<string, string>, secret: string[] = []) => {
  pulumi.runtime.setAllConfig(all, secret);
  return readStackConfig(new pulumi.Config("event-bus"), pulumi.runtime.allConfig());
};
const base = { "event-bus:environment": "staging", "event-bus:migrationPhase": "1", "event-bus:mode": "multi" };

/** A value for each secret field, valid as that field (so that only its being plain is wrong). */
const VALUES: Record<SecretKey, string> = {
  natsPassword: "pl4in-s3cret-pass",
  natsToken: "pl4in-s3cret-token",
  natsCreds: "-----BEGIN NATS USER JWT-----\npl4in-s3cret-jwt\n------END NATS USER JWT------",
  natsNkeySeed: "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY",
};

describe("stack config - a secret in plain config", () => {
  it.each(Object.entries(SECRET_KEYS) as Array<[SecretKey, string]>)("%s given as plain event-bus:nats.%s is refused, naming the secret key, without the value", (key, field) => {
    const nats = { servers: ["nats://nats:4222"], ...(field === "password" ? { user: "admin" } : {}), [field]: VALUES[key] };
    let thrown: unknown;
    try {
      read({ ...base, "event-bus:nats": JSON.stringify(nats) });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(StackConfigError);
    const message = (thrown as Error).message;
    expect(message).toMatch(new RegExp(`event-bus:nats.*${field}.*expected no ${field} in plain config.*pulumi config set --secret event-bus:${key}`));
    expect(message).not.toContain(VALUES[key]);
  });

  it("the same value as a secret is accepted, and read as a secret", async () => {
    const { config, secrets } = read({ ...base, "event-bus:nats": JSON.stringify({ servers: ["nats://nats:4222"], user: "admin" }), "event-bus:natsPassword": VALUES.natsPassword }, ["event-bus:natsPassword"]);
    expect(config.nats).not.toHaveProperty("password");
    expect(await new Promise((r) => secrets.natsPassword!.apply((v) => r(v)))).toBe(VALUES.natsPassword);
  });
});
