/** The NATS users' carried-over passwords (event-bus:natsUserPasswords) judged by shape, never echoed. */
import { userPasswordProblems } from "../../components/config/stack-config";

const VALUE = "a-current-password-1234";

describe("event-bus:natsUserPasswords", () => {
  it("takes a secret map of known users to their current passwords", () => {
    expect(userPasswordProblems(undefined, false)).toEqual([]);
    expect(userPasswordProblems(JSON.stringify({ ingest: VALUE, normalize: VALUE, admin: VALUE }), true)).toEqual([]);
  });

  it("refuses it as plain config, an unknown user and a short or missing password, naming the key and never the value", () => {
    const plain = userPasswordProblems(JSON.stringify({ ingest: VALUE }), false);
    expect(plain).toEqual([{ key: "natsUserPasswords", reason: "expected secret config, not plain text: `pulumi config set --secret --path event-bus:natsUserPasswords.<user> <password>`" }]);
    const bad = userPasswordProblems(JSON.stringify({ ingst: VALUE, normalize: "short", admin: 12 }), true);
    expect(bad).toEqual([
      { key: "natsUserPasswords.ingst", reason: 'unknown user "ingst": expected one of admin, ingest, normalize' },
      { key: "natsUserPasswords.normalize", reason: "expected the user's current password, at least 12 characters" },
      { key: "natsUserPasswords.admin", reason: "expected the user's current password, at least 12 characters" },
    ]);
    expect(JSON.stringify([plain, bad])).not.toContain(VALUE);
    expect(userPasswordProblems('"just-a-string-password"', true)).toEqual([
      { key: "natsUserPasswords", reason: "expected a map of user to password: `pulumi config set --secret --path event-bus:natsUserPasswords.<user> <password>`" },
    ]);
  });
});
