/** The NATS users' carried-over passwords (event-bus:natsUserPasswords) judged by shape, never echoed. */
import { userPasswordProblems } from "../../components/config/stack-config";

const VALUE = "a-current-password-1234";

describe("event-bus:natsUserPasswords", () => {
  it("takes a secret map of known users to their current passwords", () => {
    expect(userPasswordProblems(undefined, false)).toEqual([]);
    expect(userPasswordProblems(JSON.stringify({ ingest: VALUE, normalize: VALUE, admin: VALUE }), true)).toEqual([]);
  });

  it("takes a password of any characters, short ones included: it was the user's before the stack", () => {
    const odd = { ingest: "yes", normalize: ' a,b;c]d}e\\f "g{h[i$j-k #l //m\tn\no ', admin: "pässwörd-ünïcødé-✓" };
    expect(userPasswordProblems(JSON.stringify(odd), true)).toEqual([]);
  });

  it("refuses it as plain config, an unknown user, a missing password and one longer than bcrypt reads, naming the key and never the value", () => {
    const plain = userPasswordProblems(JSON.stringify({ ingest: VALUE }), false);
    expect(plain).toEqual([{ key: "natsUserPasswords", reason: "expected secret config, not plain text: `pulumi config set --secret --path event-bus:natsUserPasswords.<user> <password>`" }]);
    const long = "é".repeat(37); // 74 bytes
    const bad = userPasswordProblems(JSON.stringify({ ingst: VALUE, normalize: long, admin: 12 }), true);
    expect(bad).toEqual([
      { key: "natsUserPasswords.ingst", reason: 'unknown user "ingst": expected one of admin, ingest, normalize' },
      { key: "natsUserPasswords.normalize", reason: "expected at most 72 bytes (UTF-8): the NATS servers compare passwords through bcrypt, which reads no further" },
      { key: "natsUserPasswords.admin", reason: "expected the user's current password, as a string" },
    ]);
    expect(JSON.stringify(bad)).not.toContain(long);
    expect(JSON.stringify([plain, bad])).not.toContain(VALUE);
    expect(userPasswordProblems('"just-a-string-password"', true)).toEqual([
      { key: "natsUserPasswords", reason: "expected a map of user to password: `pulumi config set --secret --path event-bus:natsUserPasswords.<user> <password>`" },
    ]);
  });
});
