/**
 * `npm run nats-password -- <user> <stack>` or `-- preview`: a new password for a NATS user whose
 * password is kept out of the stack, and its bcrypt hash. The hash goes into the stack file
 * (event-bus:kubernetes.nats.passwordHashes.<user>), where it may be read by anyone: the servers
 * compare passwords with it. The password (stderr, once) goes to the environment secret of the jobs
 * that sign in as the user (admin, preview), to on-call's password manager (system), or, for a
 * service's slot, into the Secret its pods read (externalPasswordSecretName), which no one else
 * needs: a lost one is replaced by a rotation.
 */
import { randomBytes } from "node:crypto";
import * as bcrypt from "bcryptjs";
import { BCRYPT_COST } from "../components/kubernetes/nats-passwords";
import { externalPasswordSecretName, SLOTTED_USERS } from "../components/kubernetes/nats-users";
import { stackFileConfig } from "./stack-file";

const SERVICES = ["ingest", "ingest-b", "normalize", "normalize-b"] as const;
const USERS = {
  admin: "EVENT_BUS_NATS_ADMIN_PASSWORD",
  "admin-b": "EVENT_BUS_NATS_ADMIN_PASSWORD",
  preview: "EVENT_BUS_NATS_PREVIEW_PASSWORD",
  system: "EVENT_BUS_NATS_SYSTEM_PASSWORD",
  ...Object.fromEntries(SERVICES.map((s) => [s, `EVENT_BUS_NATS_${s.toUpperCase().replace("-", "_")}_PASSWORD`])),
} as Record<"admin" | "admin-b" | "preview" | "system" | (typeof SERVICES)[number], string>;

const user = process.argv[2] as keyof typeof USERS;
const stack = process.argv[3];
if (!(user in USERS) || (user !== "preview" && !stack)) {
  console.error(`usage: npm run nats-password -- <${Object.keys(USERS).filter((u) => u !== "preview").join("|")}> <stack>   |   npm run nats-password -- preview`);
  process.exit(2);
}
const service = (SERVICES as readonly string[]).includes(user) ? { name: user.replace(/-b$/, "") as (typeof SLOTTED_USERS)[number], slot: user.endsWith("-b") ? ("b" as const) : undefined } : undefined;
// 32 letters and digits: nothing a shell, a URL or a YAML file would read otherwise.
const password = randomBytes(24).toString("base64url").replace(/[-_]/g, "x");
const hash = bcrypt.hashSync(password, BCRYPT_COST);
// One preview password for every stack: the `preview` environment holds one secret, and a pull
// request previews each stack with it. Each stack's admin password is its own environment's.
const stacks = user === "preview" ? ["staging", "production"] : [stack];
const keep = {
  admin: `as the secret ${USERS.admin} of the GitHub environment ${stack}, and in on-call's password manager (when rotating back to slot a, the secret changes only after the up with passwordSlots.admin "b>a": docs/RUNBOOK.md, "Changing the admin's password")`,
  // The admin's other slot (kubernetes.nats.passwordSlots.admin): the deploy secret changes to it only after the up that teaches the servers its hash.
  "admin-b": `in on-call's password manager; it becomes the secret ${USERS.admin} of the GitHub environment ${stack} after the up with passwordSlots.admin "a>b" (docs/RUNBOOK.md, "Changing the admin's password")`,
  preview: `as the secret ${USERS.preview} of the GitHub environment preview`,
  // People's: no job signs in as the system user.
  system: "in on-call's password manager only",
}[user as "admin" | "admin-b" | "preview" | "system"];
process.stderr.write(`${USERS[user]}=${password}\n`);
if (service) {
  const namespace = (stackFileConfig(stack).kubernetes as { namespace?: string } | undefined)?.namespace ?? "<the stack's namespace>";
  const slots = `kubernetes.nats.passwordSlots.${service.name}`;
  process.stdout.write(
    [
      `# 1. Make the Secret its pods read (the password above, on stderr, in ${USERS[user]}), before the up that uses it:`,
      `printf %s "$${USERS[user]}" | kubectl -n ${namespace} create secret generic ${externalPasswordSecretName(service)} --from-file=password=/dev/stdin`,
      `# 2. Put its hash in the stack file (in a rotation, with ${slots} ${service.slot ? '"a>b"' : '"b>a"'}: docs/RUNBOOK.md, "Changing a service's NATS password"), and merge:`,
      `pulumi config set --stack ${stack} --path event-bus:kubernetes.nats.passwordHashes.${user} '${hash}'`,
      ``,
    ].join("\n"),
  );
  process.exit(0);
}
process.stdout.write(
  [
    `# 1. Store the password (above, on stderr) ${keep}.`,
    `# 2. Put its hash in the stack file${stacks.length > 1 ? "s" : ""}, and merge:`,
    ...stacks.map((st) => `pulumi config set --stack ${st} --path event-bus:kubernetes.nats.passwordHashes.${user} '${hash}'`),
    ``,
  ].join("\n"),
);
