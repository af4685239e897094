/**
 * The event-bus Pulumi program. What it builds lives in components/: the stack's configuration
 * (components/config), its JetStream topology (components/topology, from the catalogue) and the
 * providers that apply it (components/providers). Its outputs are the stack outputs.
 */
import { readStackConfig } from "./components/config/stack-config";
import { defineStackLooking } from "./components/stack";

export = async () => {
  const { config, secrets, userPasswords } = readStackConfig();
  const stack = await defineStackLooking(config, secrets, userPasswords);
  return {
    environment: stack.environment,
    migrationPhase: stack.migrationPhase,
    mode: stack.mode,
    streams: stack.streams,
    bindings: stack.bindings,
    /** The flags the services read (the `event-bus-config` ConfigMap's data); a change rolls them. */
    flags: stack.flags,
    /** Why the legacy stream stays although the phase retires it; absent otherwise. */
    ...(stack.legacyHold ? { legacyHold: stack.legacyHold } : {}),
    /** The admin user's password when the stack keeps it (Kubernetes stacks without kubernetes.nats.passwordHashes.admin; generated, or carried over): what `npm run verify` signs in with. */
    ...(stack.kubernetes?.passwords.admin ? { natsAdminPassword: stack.kubernetes.passwords.admin } : {}),
  };
};
