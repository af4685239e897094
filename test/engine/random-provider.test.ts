/**
 * The random plugin's stand-in (scripts/engine/random-provider.ts): RandomPassword's inputs and
 * defaults as the official resource has them, passwords that meet them, secret outputs, and every
 * input forcing a new password. Through the engine it runs in every Kubernetes stack test.
 */
import { checkPassword, generatePassword, randomProvider } from "../../scripts/engine/random-provider";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

describe("random plugin stand-in - RandomPassword", () => {
  it("fills the official defaults and refuses bad inputs naming the property", () => {
    expect(checkPassword({ length: 32, special: false }).inputs).toEqual({
      length: 32,
      special: false,
      upper: true,
      lower: true,
      numeric: true,
      minLower: 0,
      minUpper: 0,
      minNumeric: 0,
      minSpecial: 0,
    });
    expect(checkPassword({}).failures).toEqual([{ property: "length", reason: expect.stringMatching(/expected length/) }]);
    expect(checkPassword({ length: 2, minUpper: 2, minNumeric: 1 }).failures).toEqual([{ property: "length", reason: "expected length of at least 3, the sum of the min* counts" }]);
    expect(checkPassword({ length: 8, special: false, minSpecial: 1 }).failures).toEqual([{ property: "minSpecial", reason: "minSpecial needs special: true" }]);
    expect(checkPassword({ length: 8, lenght: 9 }).failures).toEqual([{ property: "lenght", reason: 'unknown property "lenght" of RandomPassword' }]);
    expect(checkPassword({ length: 8, number: false }).inputs!.numeric).toBe(false);
  });

  it("makes passwords of the length and character sets asked, with the minimums met", () => {
    for (let i = 0; i < 200; i++) {
      const p = generatePassword(checkPassword({ length: 12, special: false, minUpper: 3, minNumeric: 4 }).inputs!);
      expect(p).toMatch(/^[A-Za-z0-9]{12}$/);
      expect(p.replace(/[^A-Z]/g, "").length).toBeGreaterThanOrEqual(3);
      expect(p.replace(/[^0-9]/g, "").length).toBeGreaterThanOrEqual(4);
    }
    const specials = generatePassword(checkPassword({ length: 40, upper: false, lower: false, numeric: false, overrideSpecial: "#%" }).inputs!);
    expect(specials).toMatch(/^[#%]{40}$/);
    const many = new Set(Array.from({ length: 100 }, () => generatePassword(checkPassword({ length: 16 }).inputs!)));
    expect(many.size).toBe(100);
  });

  it("create returns the result and its bcrypt hash as secrets; any input change replaces it", async () => {
    const created = await randomProvider.create!("urn:pulumi:s::p::random:index/randomPassword:RandomPassword::pw", { length: 20, special: false });
    expect(created.id).toBe("none");
    const { result, bcryptHash } = created.outs as Record<string, Record<string, string>>;
    expect(result[SECRET_SIG]).toBeDefined();
    expect(result.value).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(bcryptHash[SECRET_SIG]).toBeDefined();
    expect(require("bcryptjs").compareSync(result.value, bcryptHash.value)).toBe(true);
    expect(await randomProvider.diff!("none", "urn", created.outs, { length: 20, special: false })).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(await randomProvider.diff!("none", "urn", created.outs, { length: 21, special: false })).toEqual({ changes: true, replaces: ["length"], deleteBeforeReplace: false });
  });
});
