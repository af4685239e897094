import type { StackValidationPolicy } from "@pulumi/policy";
import { FLAGS_CONFIGMAP } from "../components/kubernetes/flags";
import { configMaps } from "./resources";

export const SERVICE_FLAGS = ["FEATURE_SERVICE_MANAGES_STREAMS", "FEATURE_SERVICE_MANAGES_CONSUMERS"];

/** The stack owns the topology: the services' flags keep them from creating streams or consumers. */
export const servicesDoNotOwnTopology: StackValidationPolicy = {
  name: "event-bus-services-do-not-own-topology",
  description: `The ${FLAGS_CONFIGMAP} ConfigMap keeps FEATURE_SERVICE_MANAGES_STREAMS and FEATURE_SERVICE_MANAGES_CONSUMERS false.`,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const c of configMaps(args.resources).filter((x) => x.name === FLAGS_CONFIGMAP)) {
      for (const flag of SERVICE_FLAGS) {
        if (c.data[flag] !== "false") reportViolation(`ConfigMap ${FLAGS_CONFIGMAP}: ${flag} is "${c.data[flag]}"; it must be "false", the stack owns streams and consumers`, c.resource.urn);
      }
    }
  },
};
