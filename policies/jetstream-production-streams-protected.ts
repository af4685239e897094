import type { StackValidationPolicy } from "@pulumi/policy";
import { stackOf, streamsOf } from "./resources";

/** Production streams can not be deleted by a `pulumi destroy` or a removed resource. */
export const productionStreamsProtected: StackValidationPolicy = {
  name: "jetstream-production-streams-protected",
  description: "Production streams are protected from deletion (the retiring legacy stream, which captures nothing, excepted).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { productionStacks: { type: "array", items: { type: "string" }, default: ["production"] } } },
  validateStack: (args, reportViolation) => {
    const stacks = args.getConfig<{ productionStacks?: string[] }>().productionStacks ?? ["production"];
    if (!stacks.includes(stackOf(args.resources) ?? "")) return;
    for (const s of streamsOf(args.resources)) {
      // A stream that captures nothing is being retired: the provider still refuses to delete it while it holds messages.
      if (!s.listedSubjects) continue;
      if (!s.resource.opts.protect) reportViolation(`production stream ${s.name} is not protected; set protect: true`, s.resource.urn);
    }
  },
};
