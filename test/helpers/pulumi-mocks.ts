/**
 * Pulumi mocks that record every resource a program registers, for checking the resource
 * graph (never as evidence that anything works against NATS).
 */
import * as pulumi from "@pulumi/pulumi";
import { STREAM_TYPE } from "../../components/resource-types";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  id: string;
  /** The id the program asked to import or read (the `import` option, a `.get()`), if any. */
  importId?: string;
}

export function recordResources(stack = "test"): Registered[] {
  const registered: Registered[] = [];
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const id = `${args.name}-id`;
        registered.push({ type: args.type, name: args.name, inputs: args.inputs, id, ...(args.id ? { importId: args.id } : {}) });
        // A generated password, as the random provider would return one.
        const extra =
          args.type === "random:index/randomPassword:RandomPassword"
            ? { result: `generated-${args.name}` }
            : // A new stream, as its create returns it: every subject claimed at its creation.
              args.type === STREAM_TYPE
              ? { claims: Object.fromEntries(((args.inputs.subjects as string[] | undefined) ?? []).map((s) => [s, 0])) }
              : {};
        return { id, state: { ...args.inputs, ...extra } };
      },
      call: (args) => args.inputs,
    },
    "event-bus",
    stack,
    false,
  );
  return registered;
}

/** Resolves an Output's value and whether it is secret. */
export function settle<T>(o: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  return new Promise((resolve) => {
    pulumi.all([o, pulumi.isSecret(o)] as const).apply(([value, secret]) => resolve({ value: value as T, secret: secret as boolean }));
  });
}

/**
 * Waits until every registration the program has started has reached the mock monitor, however
 * long each waited for its dependencies (a Deployment waits on its Secrets): the SDK's own count
 * of outstanding calls, drained.
 */
export async function registrationsDone(): Promise<void> {
  const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as { waitForRPCs?: () => Promise<void> };
  if (typeof settings.waitForRPCs !== "function") throw new Error("@pulumi/pulumi/runtime/settings no longer has waitForRPCs(): wait for the registrations another way");
  await settings.waitForRPCs();
}
