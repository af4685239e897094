/**
 * The `random` resource plugin for the Pulumi engine built here, serving `RandomPassword`: the one
 * resource of @pulumi/random the stack uses. The official plugin (pulumi/pulumi-random, a bridged
 * Terraform provider) has no Go module served to this project's machines; users run the official
 * one. Like the language host it is written with the SDK's provider API
 * (`@pulumi/pulumi/provider`), and behaves as the official resource does:
 * - the official inputs (length, special, upper, lower, numeric or the deprecated number,
 *   minLower/minUpper/minNumeric/minSpecial, overrideSpecial, keepers), checked with their
 *   property named; defaults as the official ones;
 * - every input forces a new password (the official schema marks each one so);
 * - `result` and `bcryptHash` are secret outputs; the id is "none";
 * - import (`pulumi import random:index/randomPassword:RandomPassword name <password>`) takes the
 *   given password as the result.
 */
import { randomInt } from "node:crypto";
import * as bcrypt from "bcryptjs";
import type * as provider from "@pulumi/pulumi/provider";
import { engineAddressOf, watchEngine } from "./engine-watch";

export const PASSWORD_TYPE = "random:index/randomPassword:RandomPassword";
/** The SDK this plugin stands in for, with build metadata saying it is the stand-in. */
export const VERSION = `${require("@pulumi/random/package.json").version as string}+event-bus.stand-in`;

/** The engine's marker of a secret value on the wire. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const secret = (value: unknown) => ({ [SECRET_SIG]: SECRET_VALUE, value });
const reveal = (v: unknown): unknown => (v !== null && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE ? (v as { value: unknown }).value : v);

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC = "0123456789";
/** The official default special characters. */
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

export interface PasswordInputs {
  length: number;
  special: boolean;
  upper: boolean;
  lower: boolean;
  numeric: boolean;
  minLower: number;
  minUpper: number;
  minNumeric: number;
  minSpecial: number;
  overrideSpecial?: string;
  keepers?: Record<string, unknown>;
}

const BOOLS = ["special", "upper", "lower", "numeric"] as const;
const MINS = ["minLower", "minUpper", "minNumeric", "minSpecial"] as const;
/** The inputs the official resource takes; each change forces a new password. */
export const INPUT_KEYS = ["length", ...BOOLS, "number", ...MINS, "overrideSpecial", "keepers"] as const;

/** Checks the inputs and fills in the official defaults; failures name the property. */
export function checkPassword(news: Record<string, unknown>): { inputs?: PasswordInputs; failures: provider.CheckFailure[] } {
  const failures: provider.CheckFailure[] = [];
  const n = Object.fromEntries(Object.entries(news).map(([k, v]) => [k, reveal(v)]));
  for (const k of Object.keys(n)) {
    if (!(INPUT_KEYS as readonly string[]).includes(k) && !["result", "bcryptHash"].includes(k)) failures.push({ property: k, reason: `unknown property "${k}" of RandomPassword` });
  }
  const int = (k: string, min: number, dflt?: number): number => {
    const v = n[k] ?? dflt;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      failures.push({ property: k, reason: `expected ${k} to be a whole number of at least ${min}` });
      return min;
    }
    return v;
  };
  const bool = (k: string, dflt: boolean): boolean => {
    const v = n[k] ?? dflt;
    if (typeof v !== "boolean") {
      failures.push({ property: k, reason: `expected ${k} to be true or false` });
      return dflt;
    }
    return v;
  };
  if (n.length === undefined) failures.push({ property: "length", reason: "expected length, the number of characters (required)" });
  const inputs: PasswordInputs = {
    length: int("length", 1, 1),
    special: bool("special", true),
    upper: bool("upper", true),
    lower: bool("lower", true),
    // `number` is the deprecated name of `numeric`.
    numeric: bool("numeric", n.number === undefined ? true : bool("number", true)),
    minLower: int("minLower", 0, 0),
    minUpper: int("minUpper", 0, 0),
    minNumeric: int("minNumeric", 0, 0),
    minSpecial: int("minSpecial", 0, 0),
  };
  if (n.overrideSpecial !== undefined) {
    if (typeof n.overrideSpecial !== "string") failures.push({ property: "overrideSpecial", reason: "expected overrideSpecial to be a string of characters" });
    else inputs.overrideSpecial = n.overrideSpecial;
  }
  if (n.keepers !== undefined) {
    if (n.keepers === null || typeof n.keepers !== "object" || Array.isArray(n.keepers)) failures.push({ property: "keepers", reason: "expected keepers to be a map of strings" });
    else inputs.keepers = n.keepers as Record<string, unknown>;
  }
  const required = MINS.reduce((sum, k) => sum + inputs[k], 0);
  if (required > inputs.length) failures.push({ property: "length", reason: `expected length of at least ${required}, the sum of the min* counts` });
  for (const [min, set] of [["minLower", "lower"], ["minUpper", "upper"], ["minNumeric", "numeric"], ["minSpecial", "special"]] as const) {
    if (inputs[min] > 0 && !inputs[set]) failures.push({ property: min, reason: `${min} needs ${set}: true` });
  }
  if (!BOOLS.some((k) => inputs[k])) failures.push({ property: "special", reason: "expected at least one of special, upper, lower, numeric to be true" });
  return failures.length ? { failures } : { inputs, failures };
}

/** A password as the official resource makes it: the minimums from each set, the rest from all enabled sets, shuffled. */
export function generatePassword(i: PasswordInputs): string {
  const special = i.overrideSpecial ?? SPECIAL;
  const sets = [
    [i.lower, LOWER, i.minLower],
    [i.upper, UPPER, i.minUpper],
    [i.numeric, NUMERIC, i.minNumeric],
    [i.special, special, i.minSpecial],
  ] as const;
  const pick = (chars: string) => chars[randomInt(chars.length)];
  const out: string[] = [];
  for (const [on, chars, min] of sets) if (on) for (let k = 0; k < min; k++) out.push(pick(chars));
  const all = sets.filter(([on]) => on).map(([, chars]) => chars).join("");
  while (out.length < i.length) out.push(pick(all));
  for (let k = out.length - 1; k > 0; k--) {
    const j = randomInt(k + 1);
    [out[k], out[j]] = [out[j], out[k]];
  }
  return out.join("");
}

function outputs(inputs: Record<string, unknown>, result: string): Record<string, unknown> {
  return { ...inputs, result: secret(result), bcryptHash: secret(bcrypt.hashSync(result, 10)) };
}

export const randomProvider: provider.Provider = {
  version: VERSION,
  async check(urn, _olds, news) {
    if (!urn.includes(PASSWORD_TYPE)) return { failures: [{ property: "", reason: `this stand-in serves only ${PASSWORD_TYPE}` }] };
    const { inputs, failures } = checkPassword(news);
    return failures.length ? { inputs: news, failures } : { inputs: { ...inputs, ...(news.number !== undefined ? { number: inputs!.numeric } : {}) } };
  },
  async diff(_id, _urn, olds, news) {
    const changed = INPUT_KEYS.filter((k) => JSON.stringify(reveal(olds[k]) ?? null) !== JSON.stringify(reveal(news[k]) ?? null));
    return { changes: changed.length > 0, replaces: changed, deleteBeforeReplace: false };
  },
  async create(_urn, inputs) {
    const { inputs: checked, failures } = checkPassword(inputs);
    if (!checked) throw new Error(`RandomPassword: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    return { id: "none", outs: outputs(inputs, generatePassword(checked)) };
  },
  async read(id, _urn, props) {
    // An import names the password as the id; a refresh keeps what the state holds.
    if (reveal(props?.result) === undefined && id !== "none") {
      const imported = { length: id.length, special: true, upper: true, lower: true, numeric: true, minLower: 0, minUpper: 0, minNumeric: 0, minSpecial: 0 };
      return { id: "none", props: outputs(imported, id), inputs: imported };
    }
    const inputs = Object.fromEntries(INPUT_KEYS.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
    return { id, props, inputs };
  },
  async update(_id, _urn, olds, news) {
    return { outs: { ...news, result: olds.result, bcryptHash: olds.bcryptHash } };
  },
  async delete() {
    /* a password exists only in state */
  },
};

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { main } = require("@pulumi/pulumi/provider") as typeof provider;
  const args = process.argv.slice(2);
  void main(randomProvider, args);
  // A killed engine: this plugin ends (engine-watch.ts).
  watchEngine(engineAddressOf(args), () => process.exit(0));
}
