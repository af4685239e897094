/**
 * Shared schema pieces and the one function that turns schema issues into failures that
 * name the field path and what was expected. Nothing here talks to a server.
 */
import { z } from "zod";
import { PROVIDER_KEYS } from "./provider-keys";
import { parseDuration } from "./durations";
import { streamSubjectProblem, subjectProblem } from "./subjects";

/** The placeholder Pulumi uses for values not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const NAME_PATTERN = /^[-\w]+$/;
export const NAME_MAX_LENGTH = 255;

export const name = (what: string) =>
  z
    .string({ error: `expected the ${what} name as a string` })
    .min(1, { error: `expected a non-empty ${what} name` })
    .max(NAME_MAX_LENGTH, { error: `expected a ${what} name of at most ${NAME_MAX_LENGTH} characters` })
    .regex(NAME_PATTERN, { error: `expected a ${what} name of letters, digits, '-' and '_' only (no '.', '*', '>', '/', spaces)` });

export const subject = z.string({ error: "expected a subject string" }).superRefine((s, ctx) => {
  const problem = subjectProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: `invalid subject "${s}": ${problem}` });
});

/** A subject a stream may capture: valid syntax, and none of the server's reserved subjects. */
export const streamSubject = z.string({ error: "expected a subject string" }).superRefine((s, ctx) => {
  const problem = streamSubjectProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: `invalid stream subject "${s}": ${problem}` });
});

export const duration = z.string({ error: 'expected a duration string such as "60s" or "48h"' }).superRefine((s, ctx) => {
  const parsed = parseDuration(s);
  if ("problem" in parsed) ctx.addIssue({ code: "custom", message: `"${s}": ${parsed.problem}` });
});

/** A count or size limit: -1 means unlimited, as on the server. */
export const limit = (what: string) =>
  z
    .number({ error: `expected ${what} as a whole number (-1 for unlimited)` })
    .int({ error: `expected ${what} as a whole number (-1 for unlimited)` })
    .min(-1, { error: `expected ${what} of -1 (unlimited) or more` });

export const positiveInt = (what: string, max?: number) => {
  let n = z.number({ error: `expected ${what} as a whole number` }).int({ error: `expected ${what} as a whole number` }).min(1, { error: `expected ${what} of at least 1` });
  if (max !== undefined) n = n.max(max, { error: `expected ${what} of at most ${max}` });
  return n;
};

export const replicas = z
  .number({ error: "expected replicas as a whole number from 1 to 5" })
  .int({ error: "expected replicas as a whole number from 1 to 5" })
  .min(1, { error: "expected replicas from 1 to 5" })
  .max(5, { error: "expected replicas from 1 to 5 (the server's maximum is 5)" });

export const metadata = z.record(z.string(), z.string({ error: "expected metadata values as strings" }), {
  error: "expected metadata as a map of strings",
}).superRefine((m, ctx) => {
  for (const key of Object.keys(m)) {
    if (key.startsWith("_nats.")) ctx.addIssue({ code: "custom", path: [key], message: "keys starting with '_nats.' are reserved by the server" });
    if (PROVIDER_KEYS.includes(key)) ctx.addIssue({ code: "custom", path: [key], message: `the key ${key} is reserved: the providers write ${PROVIDER_KEYS.join(", ")} there` });
  }
});

export const timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { error: "expected an RFC 3339 timestamp such as 2026-01-31T00:00:00Z" });

export const flag = (what: string) => z.boolean({ error: `expected ${what} as true or false` });

export const enumOf = <T extends readonly [string, ...string[]]>(what: string, values: T) =>
  z.enum(values, { error: `expected ${what} to be one of ${values.map((v) => `"${v}"`).join(", ")}` });

export interface CheckFailure {
  property: string;
  reason: string;
}

/** Removes values Pulumi does not know yet (preview), returning what is left and where the gaps were. */
export function withoutUnknowns(value: unknown, path: string[] = [], gaps: string[][] = []): { value: unknown; gaps: string[][] } {
  if (value === UNKNOWN) {
    gaps.push(path);
    return { value: undefined, gaps };
  }
  if (Array.isArray(value)) {
    return { value: value.map((v, i) => withoutUnknowns(v, [...path, String(i)], gaps).value), gaps };
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = withoutUnknowns(v, [...path, k], gaps).value;
      if (r !== undefined) out[k] = r;
    }
    return { value: out, gaps };
  }
  return { value, gaps };
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number" || /^\d+$/.test(String(p))) out += `[${String(p)}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/**
 * Validates raw inputs against a schema. Values unknown during preview are not judged (nor is
 * anything beneath them); every other problem becomes a failure naming its field path.
 */
export function validate<T>(schema: z.ZodType<T>, raw: unknown): { ok: true; value: T } | { ok: false; failures: CheckFailure[]; partial: boolean } {
  const { value, gaps } = withoutUnknowns(raw);
  const result = schema.safeParse(value);
  if (result.success && gaps.length === 0) return { ok: true, value: result.data };
  const isGap = (p: ReadonlyArray<PropertyKey>) => gaps.some((g) => g.length <= p.length && g.every((t, i) => String(p[i]) === t));
  const failures = result.success
    ? []
    : result.error.issues
        .filter((i) => !isGap(i.path))
        .flatMap((i) =>
          i.code === "unrecognized_keys"
            ? i.keys.map((k) => ({ property: formatPath([...i.path, k]), reason: `unknown field "${k}" (check its spelling)` }))
            : [{ property: formatPath(i.path) || "(inputs)", reason: i.message }],
        );
  return { ok: false, failures, partial: gaps.length > 0 };
}
