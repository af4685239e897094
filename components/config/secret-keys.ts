/** Secret configuration keys (`pulumi config set --secret event-bus:<key>`) and the connection field each one fills. */
export const SECRET_KEYS = {
  natsPassword: "password",
  natsToken: "token",
  natsCreds: "creds",
  natsNkeySeed: "nkeySeed",
} as const;
export type SecretKey = keyof typeof SECRET_KEYS;

/**
 * The NATS users' current passwords, carried over when the stack takes a live cluster over:
 * `pulumi config set --secret --path event-bus:natsUserPasswords.<user> <password>` for admin,
 * ingest or normalize. A user without one gets a generated password.
 */
export const USER_PASSWORDS_KEY = "natsUserPasswords";
