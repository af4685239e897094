import type { StackValidationPolicy } from "@pulumi/policy";
import { DEFAULT_REPLICAS } from "../components/config/stack-config";
import { consumersOf, STATEFULSET_TYPE, stackOf, streamsOf } from "./resources";

interface Config {
  productionStacks: string[];
  productionReplicas: number;
}

/** Production streams have the configured replicas (3), odd, at most 5 and the cluster size; consumers never more than their stream. */
export const replicasByEnvironment: StackValidationPolicy = {
  name: "jetstream-replicas-by-environment",
  description: "Production streams run the configured replica count (odd, at most 5, at most the cluster size); consumers never exceed their stream.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      productionStacks: { type: "array", items: { type: "string" }, default: ["production"] },
      productionReplicas: { type: "integer", minimum: 1, maximum: 5, default: DEFAULT_REPLICAS.production },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = { productionStacks: ["production"], productionReplicas: DEFAULT_REPLICAS.production, ...args.getConfig<Partial<Config>>() } as Config;
    const production = cfg.productionStacks.includes(stackOf(args.resources) ?? "");
    const sts = args.resources.find((r) => r.type === STATEFULSET_TYPE);
    const clusterSize: number | undefined = sts ? (sts.props as any).spec?.replicas : undefined;
    const streams = streamsOf(args.resources);
    for (const s of streams) {
      if (production && s.replicas !== cfg.productionReplicas) reportViolation(`stream ${s.name}: production streams need ${cfg.productionReplicas} replicas, it has ${s.replicas}`, s.resource.urn);
      if (s.replicas > 5) reportViolation(`stream ${s.name}: replicas ${s.replicas} is above the server's maximum of 5`, s.resource.urn);
      if (s.replicas > 1 && s.replicas % 2 === 0) reportViolation(`stream ${s.name}: replicas ${s.replicas} is even; an odd count keeps a quorum through the same failures with fewer copies`, s.resource.urn);
      if (clusterSize !== undefined && s.replicas > clusterSize) reportViolation(`stream ${s.name}: replicas ${s.replicas} exceeds the cluster's ${clusterSize} servers`, s.resource.urn);
    }
    const byName = new Map(streams.map((s) => [s.name, s]));
    for (const c of consumersOf(args.resources)) {
      const stream = byName.get(c.stream);
      if (stream && c.replicas !== undefined && c.replicas > stream.replicas) {
        reportViolation(`consumer ${c.durable}: replicas ${c.replicas} exceeds stream ${c.stream}'s ${stream.replicas} (err_code 10126)`, c.resource.urn);
      }
    }
  },
};
