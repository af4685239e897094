/**
 * What the Stream and Consumer resources share when they register: inputs that may each be a
 * Pulumi input, and the connection kept secret.
 */
import type * as pulumi from "@pulumi/pulumi";
import { secret } from "@pulumi/pulumi";

/** A resource's inputs: every field may be a Pulumi input. */
export type ResourceInputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** The inputs and options every event-bus dynamic resource registers with: its connection kept secret. */
export function withSecretConnection<A extends { connection: unknown }>(args: A, opts?: pulumi.CustomResourceOptions): [A, pulumi.CustomResourceOptions] {
  return [
    { ...args, connection: secret(args.connection) },
    { ...opts, additionalSecretOutputs: ["connection", ...(opts?.additionalSecretOutputs ?? [])] },
  ];
}
