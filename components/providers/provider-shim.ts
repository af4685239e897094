/**
 * The provider object the engine serialises into state. It holds no logic and no credentials,
 * only where the compiled implementation lives relative to the project directory, so state
 * stays valid across checkouts (no absolute path is stored).
 *
 * The engine starts the dynamic-provider host in a directory of its choosing (the directory of
 * `Pulumi.yaml`'s `main`, `bin/`, under `pulumi up`), so the shim looks for the module upward
 * from the host's working directory and from the host script's own location (inside the
 * project's node_modules); EVENT_BUS_PROVIDER_ROOT names the project directory outright.
 */
import type * as pulumi from "@pulumi/pulumi";
import { secret } from "@pulumi/pulumi";

/** Names the project directory when the provider host runs outside it. */
export const PROVIDER_ROOT_ENV = "EVENT_BUS_PROVIDER_ROOT";

export function providerShim(modulePath: string, exportName: string): pulumi.dynamic.ResourceProvider {
  // Everything below is serialised by value; keep it to plain strings and `require`.
  let loaded: pulumi.dynamic.ResourceProvider | undefined;
  const load = (): pulumi.dynamic.ResourceProvider => {
    if (loaded) return loaded;
    const path = require("path");
    const fs = require("fs");
    const starts: string[] = [process.env[PROVIDER_ROOT_ENV], process.cwd(), require.main?.filename].filter((s): s is string => !!s);
    for (const start of starts) {
      for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, modulePath);
        if (fs.existsSync(candidate)) return (loaded = require(candidate)[exportName] as pulumi.dynamic.ResourceProvider);
        if (path.dirname(dir) === dir) break;
      }
    }
    throw new Error(`event-bus: ${modulePath} was not found above ${starts.join(" or ")}; build the project (npm run build) or set ${PROVIDER_ROOT_ENV} to its directory`);
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
