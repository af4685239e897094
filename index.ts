/**
 * The event-bus Pulumi program. What it builds lives in components/: the stack's configuration
 * (components/config), its JetStream topology (components/topology, from the catalogue) and the
 * providers that apply it (components/providers). Its outputs are the stack outputs.
 */
import { readStackConfig } from "./components/config/stack-config";
import { defineStackLooking } from "./components/stack";
import { kubernetesConfigOf } from "./components/kubernetes/kubernetes-config";
import { adminInUse } from "./components/kubernetes/nats-users";

export = async () => {
  const { config, secrets, userPasswords } = readStackConfig();
  const stack = await defineStackLooking(config, secrets, userPasswords);
  // The slot the stack signs in with (kubernetes.nats.passwordSlots.admin).
  const adminPassword = stack.kubernetes?.passwords[adminInUse(kubernetesConfigOf(config)?.nats.passwordSlots?.admin).key];
  return {
    environment: stack.environment,
    migrationPhase: stack.migrationPhase,
    mode: stack.mode,
    streams: stack.streams,
    bindings: stack.bindings,
    /** The flags the services read (the `event-bus-config` ConfigMap's data); a change rolls them. */
    flags: stack.flags,
    /** What this up did, for the next preview's step plan (components/plan/step-basis.ts). */
    stepBasis: stack.stepBasis,
    /** Why the legacy stream stays although the phase retires it; absent otherwise. */
    ...(stack.legacyHold ? { legacyHold: stack.legacyHold } : {}),
    /** The admin user's password when the stack keeps it (Kubernetes stacks without kubernetes.nats.passwordHashes.admin; generated, or carried over): what `npm run verify` signs in with. */
    ...(adminPassword ? { natsAdminPassword: adminPassword } : {}),
  };
};
