import type { StackValidationPolicy } from "@pulumi/policy";
import { findCollisions, selfOverlaps } from "../components/jetstream/subjects";
import { streamsOf } from "./resources";

/** No two streams of the stack capture the same subject, wildcards included; no stream overlaps itself. */
export const noSubjectOverlap: StackValidationPolicy = {
  name: "jetstream-no-subject-overlap",
  description: "No two JetStream streams capture the same subject (wildcards count), and no stream lists overlapping subjects.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const streams = streamsOf(args.resources);
    for (const c of findCollisions(streams.map((s) => ({ owner: s, subjects: s.subjects })))) {
      reportViolation(`streams ${c.a.name} and ${c.b.name} overlap: "${c.subjectA}" (${c.a.name}) collides with "${c.subjectB}" (${c.b.name}); the server would refuse the second (err_code 10065)`, c.b.resource.urn);
    }
    for (const s of streams) {
      for (const [a, b] of selfOverlaps(s.subjects)) reportViolation(`stream ${s.name} lists overlapping subjects "${a}" and "${b}"`, s.resource.urn);
    }
  },
};
