import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "../jetstream/connection-args";
import type { ConsumerConfigArgs } from "../jetstream/consumer-args";
import type { Safety } from "./inputs";
import { CONSUMER_KIND, DYNAMIC_MODULE } from "../resource-types";
import { providerOf } from "./provider-package";
import { withSecretConnection, type ResourceInputs } from "./resource-args";

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
    super(providerOf("consumer"), name, ...withSecretConnection(args, opts), DYNAMIC_MODULE, CONSUMER_KIND);
  }
}
