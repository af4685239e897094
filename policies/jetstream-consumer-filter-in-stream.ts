import type { StackValidationPolicy } from "@pulumi/policy";
import { coveredBy, selfOverlaps } from "../components/jetstream/subjects";
import { consumersOf, streamsOf } from "./resources";

/** Every consumer filter lies inside its stream's subjects (servers 2.10+ no longer check), and filters do not overlap. */
export const consumerFilterInStream: StackValidationPolicy = {
  name: "jetstream-consumer-filter-in-stream",
  description: "Every consumer filter subject is captured by its stream's subjects (unless the consumer only drains), and a consumer's filters do not overlap.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const streams = new Map(streamsOf(args.resources).map((s) => [s.name, s]));
    for (const c of consumersOf(args.resources)) {
      const stream = streams.get(c.stream);
      if (!stream) {
        reportViolation(`consumer ${c.durable} reads stream ${c.stream}, which this stack does not define`, c.resource.urn);
        continue;
      }
      for (const f of c.drainOnly ? [] : c.filters) {
        if (!coveredBy(f, stream.subjects)) {
          reportViolation(`consumer ${c.durable}: filter "${f}" is outside stream ${c.stream}'s subjects [${stream.subjects.join(", ")}]; it would never receive a message`, c.resource.urn);
        }
      }
      for (const [a, b] of selfOverlaps(c.filters)) reportViolation(`consumer ${c.durable}: filters "${a}" and "${b}" overlap`, c.resource.urn);
    }
  },
};
