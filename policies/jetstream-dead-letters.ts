import type { StackValidationPolicy } from "@pulumi/policy";
import { coveredBy } from "../components/jetstream/subjects";
import { FLAGS_CONFIGMAP } from "../components/kubernetes/flags";
import { CATALOGUE } from "../components/topology/catalogue";
import { configMaps, consumersOf, streamsOf } from "./resources";

/** Each catalogue durable's dead-letter subject, and the DLQ stream's subject for any other. */
const DEFAULT_DLQ_SUBJECTS: Record<string, string> = { "*": CATALOGUE.dlqSubjects[0], ...Object.fromEntries(CATALOGUE.consumers.map((e) => [e.durable, e.dlqSubject])) };

interface Config {
  /** The dead-letter subject of a durable, by name; "*" for the rest. */
  dlqSubjects: Record<string, string>;
}

/** A consumer that gives up after maxDeliver attempts has a stream that keeps its dead letters. */
export const deadLetters: StackValidationPolicy = {
  name: "jetstream-dead-letters",
  description: "Every consumer with a max-deliver limit has a DLQ stream capturing its dead-letter subject.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      dlqSubjects: { type: "object", additionalProperties: { type: "string" }, default: DEFAULT_DLQ_SUBJECTS },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = { dlqSubjects: DEFAULT_DLQ_SUBJECTS, ...args.getConfig<Partial<Config>>() } as Config;
    const subjects = { ...cfg.dlqSubjects };
    // The services' own setting wins: NORMALIZE_HRV_DLQ_SUBJECT in the flags ConfigMap.
    const flags = configMaps(args.resources).find((c) => c.name === FLAGS_CONFIGMAP);
    if (flags?.data.NORMALIZE_HRV_DURABLE && flags.data.NORMALIZE_HRV_DLQ_SUBJECT) subjects[flags.data.NORMALIZE_HRV_DURABLE] = flags.data.NORMALIZE_HRV_DLQ_SUBJECT;
    const streams = streamsOf(args.resources).filter((s) => s.listedSubjects);
    for (const c of consumersOf(args.resources)) {
      if (c.maxDeliver === -1) continue;
      const dlq = subjects[c.durable] ?? subjects["*"];
      if (!streams.some((s) => coveredBy(dlq, s.subjects))) {
        reportViolation(`consumer ${c.durable} gives up after ${c.maxDeliver} deliveries, but no stream captures its dead-letter subject "${dlq}"`, c.resource.urn);
      }
    }
  },
};
