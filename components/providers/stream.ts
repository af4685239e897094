import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "../jetstream/connection-args";
import type { StreamConfigArgs } from "../jetstream/stream-args";
import type { Safety } from "./inputs";
import { DYNAMIC_MODULE, STREAM_KIND } from "../resource-types";
import { providerOf } from "./provider-package";
import { withSecretConnection, type ResourceInputs } from "./resource-args";

export type StreamArgs = ResourceInputs<StreamConfigArgs & Safety> & {
  /** How to reach JetStream; stored as a secret. */
  connection: pulumi.Input<ConnectionArgs>;
};

/**
 * One JetStream stream, managed through the JetStream API (components/providers/stream-provider.ts).
 * A change the server can not make in place fails the preview unless `allowReplace` is set;
 * a stream that holds messages is not deleted unless `forceDelete` is set.
 */
export class Stream extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly subjects: pulumi.Output<string[] | undefined>;
  declare readonly replicas: pulumi.Output<number>;
  declare readonly maxAge: pulumi.Output<string>;
  declare readonly storage: pulumi.Output<string>;
  declare readonly retention: pulumi.Output<string>;
  /** Per captured subject, the sequence the stream had reached when it claimed it (see Claims). */
  declare readonly claims: pulumi.Output<Record<string, number>>;

  constructor(name: string, args: StreamArgs, opts?: pulumi.CustomResourceOptions) {
    // `claims` is an output only: named here (undefined) so that the resource exposes it.
    super(providerOf("stream"), name, ...withSecretConnection({ ...args, claims: undefined }, opts), DYNAMIC_MODULE, STREAM_KIND);
  }
}
