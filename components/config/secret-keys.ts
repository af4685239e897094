/** Secret configuration keys (`pulumi config set --secret event-bus:<key>`) and the connection field each one fills. */
export const SECRET_KEYS = {
  natsPassword: "password",
  natsToken: "token",
  natsCreds: "creds",
  natsNkeySeed: "nkeySeed",
} as const;
export type SecretKey = keyof typeof SECRET_KEYS;
