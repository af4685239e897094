/**
 * The provider object the engine serialises into state. It holds no logic and no credentials,
 * only where the compiled implementation lives, relative to the Pulumi project directory (the
 * dynamic-provider host's working directory), so state stays valid across checkouts.
 */
import type * as pulumi from "@pulumi/pulumi";
import { secret } from "@pulumi/pulumi";

/** Set when the provider host runs somewhere other than the project directory. */
export const PROVIDER_ROOT_ENV = "EVENT_BUS_PROVIDER_ROOT";

export function providerShim(modulePath: string, exportName: string): pulumi.dynamic.ResourceProvider {
  // Everything below is serialised by value; keep it to plain strings and `require`.
  const load = (): pulumi.dynamic.ResourceProvider => {
    const root = process.env[PROVIDER_ROOT_ENV] ?? process.cwd();
    return require(require("path").resolve(root, modulePath))[exportName];
  };
  return {
    check: (olds, news) => load().check!(olds, news),
    diff: (id, olds, news) => load().diff!(id, olds, news),
    create: (inputs) => load().create(inputs),
    read: (id, props) => load().read!(id, props),
    update: (id, olds, news) => load().update!(id, olds, news),
    delete: (id, props) => load().delete!(id, props),
  };
}

/** A resource's inputs: every field may be a Pulumi input. */
export type ResourceInputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** The inputs and options every event-bus dynamic resource registers with: its connection kept secret. */
export function withSecretConnection<A extends { connection: unknown }>(args: A, opts?: pulumi.CustomResourceOptions): [A, pulumi.CustomResourceOptions] {
  return [
    { ...args, connection: secret(args.connection) },
    { ...opts, additionalSecretOutputs: ["connection", ...(opts?.additionalSecretOutputs ?? [])] },
  ];
}
