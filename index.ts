/**
 * The event-bus Pulumi program. What it builds lives in components/: the stack's configuration
 * (components/config), its JetStream topology (components/topology) and the providers that
 * apply it (components/providers).
 */
import { readStackConfig } from "./components/config/stack-config";
import { defineStack } from "./components/stack";

const { config, secrets } = readStackConfig();
const stack = defineStack(config, secrets);

export const environment = stack.environment;
export const migrationPhase = stack.migrationPhase;
export const mode = stack.mode;
export const streams = stack.streams;
export const bindings = stack.bindings;
/** The flags the services read (the `event-bus-config` ConfigMap's data); a change rolls them. */
export const flags = stack.flags;

/** The admin user's generated password (Kubernetes stacks): what `npm run verify` signs in with. */
export const natsAdminPassword = stack.kubernetes?.passwords.admin;
