import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { Consumer } from "../providers/consumer";
import { Stream } from "../providers/stream";
import { consumerInputs, handoverOf, startAfterSeq, streamInputs, type StreamRole, type Topology } from "./topology";

export interface EventBusTopologyArgs {
  /** The desired topology, from computeTopology(). */
  topology: Topology;
  /** How the providers reach JetStream; kept secret. */
  connection: pulumi.Input<ConnectionArgs>;
}

/** The stack's identity, `<organization>/<project>/<stack>` (the organization left out where the engine names none, as under mocks). */
export function stackIdentity(): string {
  let organization: string | undefined;
  try {
    organization = pulumi.getOrganization();
  } catch {
    organization = undefined;
  }
  return [organization, pulumi.getProject(), pulumi.getStack()].filter(Boolean).join("/");
}

/**
 * The event bus's streams and durable consumers for one stack. Only wiring: what exists and
 * with which settings is decided by computeTopology() (components/topology/topology.ts).
 */
export class EventBusTopology extends pulumi.ComponentResource {
  readonly streams: Partial<Record<StreamRole, Stream>> = {};
  readonly consumers: Record<string, Consumer> = {};

  constructor(name: string, args: EventBusTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("event-bus:index:Topology", name, {}, opts);
    // Every stream knows where each subject goes, so that a hand-over leaves no subject uncaptured.
    const handover = handoverOf(args.topology);
    // Stamped on everything it makes: what another stack stamped is refused (ownership.ts).
    const stack = stackIdentity();
    for (const plan of args.topology.streams) {
      this.streams[plan.role] = new Stream(
        `${name}-${plan.resourceName}`,
        { ...streamInputs(plan), handover, ...args.topology.safety, stack, connection: args.connection },
        { parent: this, protect: plan.protect },
      );
    }
    // A durable moves only once its new stream has claimed its subjects (which waits until the old
    // one has released them). Its stream's name is given as it is, so the preview shows the move.
    for (const plan of args.topology.consumers) {
      const stream = this.streams[plan.streamRole]!;
      this.consumers[plan.resourceName] = new Consumer(
        `${name}-${plan.resourceName}`,
        {
          ...consumerInputs(plan),
          ...args.topology.safety,
          stack,
          startAfterSeq: stream.claims.apply((claims) => startAfterSeq(plan.config.stream, claims, plan.claimSubject)),
          connection: args.connection,
        },
        { parent: this, dependsOn: [stream], aliases: plan.formerNames.map((n) => ({ name: `${name}-${n}` })) },
      );
    }
    this.registerOutputs({
      streams: Object.fromEntries(Object.entries(this.streams).map(([role, s]) => [role, s.name])),
      consumers: Object.keys(this.consumers),
    });
  }
}
