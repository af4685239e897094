/**
 * How the providers reach JetStream: server URLs, one way to authenticate, and TLS.
 * Every credential here travels as a Pulumi secret and is redacted from error messages.
 */
import { z } from "zod";
import { PREVIEW_USER } from "./identity";

const url = z.string({ error: "expected a server URL such as nats://host:4222" }).superRefine((s, ctx) => {
  let parsed: URL;
  try {
    parsed = new URL(s.includes("://") ? s : `nats://${s}`);
  } catch {
    ctx.addIssue({ code: "custom", message: `expected a server URL such as nats://host:4222, got "${s}"` });
    return;
  }
  if (!["nats:", "tls:", "ws:", "wss:"].includes(parsed.protocol)) {
    ctx.addIssue({ code: "custom", message: `expected a nats://, tls://, ws:// or wss:// URL, got "${parsed.protocol}"` });
  }
  if (parsed.username || parsed.password) {
    ctx.addIssue({ code: "custom", message: "expected no credentials in the URL; use user/password, token, creds or nkeySeed (they are kept secret)" });
  }
});

const envName = z.string({ error: "expected the name of an environment variable such as EVENT_BUS_NATS_ADMIN_PASSWORD" }).regex(/^[A-Z_][A-Z0-9_]*$/, {
  error: "expected the name of an environment variable such as EVENT_BUS_NATS_ADMIN_PASSWORD (capital letters, digits, _)",
});

const pemOrFile = (what: string) =>
  z.string({ error: `expected ${what} as PEM text or a file path` }).min(1, { error: `expected ${what} as PEM text or a file path` });

export const connectionSchema = z
  .strictObject({
    servers: z.array(url, { error: "expected a list of server URLs" }).min(1, { error: "expected at least one server URL" }),
    /** Path of a .creds file (JWT + nkey seed). */
    credsFile: z.string().min(1).optional(),
    /** Content of a .creds file. */
    creds: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /**
     * The user's password is in this environment variable of the process that runs pulumi (the
     * deploy job's secret), never in the stack's configuration or state: a preview, which can
     * decrypt both, then can not sign in as this user (identity.ts).
     */
    passwordEnv: envName.optional(),
    /** The read-only identity a preview signs in as when passwordEnv's variable is not set (identity.ts). */
    preview: z
      .strictObject({
        user: z.string().min(1).default(PREVIEW_USER),
        passwordEnv: envName,
      })
      .optional(),
    token: z.string().min(1).optional(),
    /** An nkey user seed (starts with SU). */
    nkeySeed: z.string().regex(/^SU[A-Z2-7]+$/, { error: "expected an nkey user seed starting with SU" }).optional(),
    /**
     * Never TLS, even where a server offers it: the NATS client otherwise upgrades whenever a
     * server offers TLS (nats.js's node transport), and fails without the CA. The stack sets it
     * while its servers do not require TLS yet (kubernetes.nats.tls stages "trust" and "offer").
     */
    plainOnly: z.literal(true, { error: "expected plainOnly to be true, or left out" }).optional(),
    tls: z
      .strictObject({
        ca: pemOrFile("the CA certificate").optional(),
        cert: pemOrFile("the client certificate").optional(),
        key: pemOrFile("the client key").optional(),
      })
      .optional(),
    /** How long to wait for a server before giving up, in milliseconds. */
    connectTimeoutMs: z.number().int().min(100).max(60_000).optional(),
    /** How long operations retry transient faults (no meta leader, timeouts, 503), in milliseconds. */
    retryBudgetMs: z.number().int().min(0).max(600_000).optional(),
  })
  .superRefine((c, ctx) => {
    const methods = [c.credsFile && "credsFile", c.creds && "creds", c.user && "user", c.token && "token", c.nkeySeed && "nkeySeed"].filter(Boolean);
    if (methods.length > 1) ctx.addIssue({ code: "custom", message: `expected one way to authenticate, got ${methods.join(" and ")}` });
    if (c.user && !c.password && !c.passwordEnv) ctx.addIssue({ code: "custom", path: ["password"], message: "expected a password with user (or passwordEnv: the variable that holds it)" });
    if ((c.password || c.passwordEnv) && !c.user) ctx.addIssue({ code: "custom", path: ["user"], message: "expected a user with password" });
    if (c.password && c.passwordEnv) ctx.addIssue({ code: "custom", path: ["passwordEnv"], message: "expected the password from one place: the environment (passwordEnv) or secret config, not both" });
    if (c.preview && !c.passwordEnv) ctx.addIssue({ code: "custom", path: ["preview"], message: "expected passwordEnv with preview: a preview signs in as its read-only user only when the admin's password is kept out of the stack (in the environment of the up)" });
    if (c.preview && c.preview.passwordEnv === c.passwordEnv) ctx.addIssue({ code: "custom", path: ["preview", "passwordEnv"], message: "expected a variable of its own for the preview's password, not passwordEnv's" });
    if (c.tls && Boolean(c.tls.cert) !== Boolean(c.tls.key)) {
      ctx.addIssue({ code: "custom", path: ["tls"], message: "expected both cert and key for a TLS client certificate" });
    }
  });

export type ConnectionArgs = z.infer<typeof connectionSchema>;

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_RETRY_BUDGET_MS = 30_000;

/** The secret strings of a connection, for redaction: its own, and the passwords its environment variables hold. */
export function secretsOf(c: Partial<ConnectionArgs> | undefined, env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  if (!c) return [];
  const fromEnv = [c.passwordEnv, c.preview?.passwordEnv].map((name) => (name ? env[name] : undefined));
  return [c.creds, c.password, c.token, c.nkeySeed, c.tls?.key, ...fromEnv].filter((s): s is string => typeof s === "string" && s.length >= 4);
}

/** Replaces every secret in a text with [secret]. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join("[secret]");
  return out;
}
