import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "../jetstream/connection-args";
import type { ConsumerConfigArgs } from "../jetstream/consumer-args";
import type { Safety } from "./inputs";
import { CONSUMER_KIND, DYNAMIC_MODULE } from "../resource-types";
import { providerShim, withSecretConnection, type ResourceInputs } from "./provider-shim";

/** The compiled consumer provider, relative to the project directory (built by `npm run build`). */
export const CONSUMER_PROVIDER_MODULE = "bin/components/providers/consumer-provider.js";

export type ConsumerArgs = ResourceInputs<ConsumerConfigArgs & Safety> & {
  /** How to reach JetStream; stored as a secret. */
  connection: pulumi.Input<ConnectionArgs>;
};

/**
 * One durable JetStream consumer (components/providers/consumer-provider.ts). Its filter must
 * lie inside its stream's subjects; one with undelivered or unacknowledged messages is not
 * deleted unless `forceDelete` is set.
 */
export class Consumer extends pulumi.dynamic.Resource {
  declare readonly stream: pulumi.Output<string>;
  declare readonly durableName: pulumi.Output<string>;
  declare readonly filterSubject: pulumi.Output<string | undefined>;
  declare readonly ackWait: pulumi.Output<string>;
  declare readonly maxDeliver: pulumi.Output<number>;

  constructor(name: string, args: ConsumerArgs, opts?: pulumi.CustomResourceOptions) {
    super(providerShim(CONSUMER_PROVIDER_MODULE, "consumerProvider"), name, ...withSecretConnection(args, opts), DYNAMIC_MODULE, CONSUMER_KIND);
  }
}
