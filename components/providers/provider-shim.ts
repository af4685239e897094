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

const SHIMS = new Map<string, pulumi.dynamic.ResourceProvider>();

/**
 * One provider object per implementation, so that @pulumi/pulumi serialises it once per program
 * (its cache is keyed by the object), and kept small, since every resource stores it twice.
 */
export function providerShim(modulePath: string, exportName: string): pulumi.dynamic.ResourceProvider {
  const key = `${modulePath}#${exportName}`;
  const known = SHIMS.get(key);
  if (known) return known;
  // Serialised by value: plain strings, `require`, and a cache that outlives one call (the
  // serialised closure's own variables are fresh on every call).
  const load = (): any => {
    const cache = ((globalThis as any).__eventBusProviders ??= {});
    if (cache[key]) return cache[key];
    const path = require("path");
    for (const start of [process.env[PROVIDER_ROOT_ENV], process.cwd(), require.main?.filename]) {
      for (let dir = start && path.resolve(start); dir && dir !== path.dirname(dir); dir = path.dirname(dir)) {
        const file = path.join(dir, modulePath);
        if (require("fs").existsSync(file)) return (cache[key] = require(file)[exportName]);
      }
    }
    throw new Error(`event-bus: ${modulePath} not found; run npm run build, or set ${PROVIDER_ROOT_ENV}`);
  };
  const shim: pulumi.dynamic.ResourceProvider = {
    configure: async (req) => load().configure?.(req),
    check: (o, n) => load().check(o, n),
    diff: (i, o, n) => load().diff(i, o, n),
    create: (n) => load().create(n),
    read: (i, p) => load().read(i, p),
    update: (i, o, n) => load().update(i, o, n),
    delete: (i, p) => load().delete(i, p),
  };
  SHIMS.set(key, shim);
  return shim;
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
