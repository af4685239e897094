import type { StackValidationPolicy } from "@pulumi/policy";
import { parseDuration } from "../components/jetstream/durations";
import { coveredBy } from "../components/jetstream/subjects";
import { CATALOGUE } from "../components/topology/catalogue";
import { streamsOf } from "./resources";

/** The DLQ stream's subject, from the topology catalogue. */
const DLQ_SUBJECT = CATALOGUE.dlqSubjects[0];

interface Config {
  minDlqAge: string;
  dlqSubject: string;
}

const nanos = (d: string) => {
  const r = parseDuration(d);
  return "nanos" in r ? r.nanos : 0;
};

/** Hot streams age their messages out; the DLQ keeps dead letters long enough to inspect and replay. */
export const retention: StackValidationPolicy = {
  name: "jetstream-retention",
  description: "Hot streams have a max age; the DLQ stream keeps messages at least the configured minimum (7 days by default).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minDlqAge: { type: "string", default: "7d" },
      dlqSubject: { type: "string", default: DLQ_SUBJECT },
    },
  },
  validateStack: (args, reportViolation) => {
    const cfg = { minDlqAge: "7d", dlqSubject: DLQ_SUBJECT, ...args.getConfig<Partial<Config>>() } as Config;
    for (const s of streamsOf(args.resources)) {
      const isDlq = s.listedSubjects && s.subjects.every((x) => coveredBy(x, [cfg.dlqSubject]));
      if (isDlq && nanos(s.maxAge) !== 0 && nanos(s.maxAge) < nanos(cfg.minDlqAge)) {
        reportViolation(`DLQ stream ${s.name} keeps messages ${s.maxAge}; expected at least ${cfg.minDlqAge}`, s.resource.urn);
      }
      if (!isDlq && nanos(s.maxAge) === 0) reportViolation(`stream ${s.name} has no maxAge: a hot stream must age its messages out`, s.resource.urn);
    }
  },
};
