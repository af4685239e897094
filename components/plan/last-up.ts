/**
 * The last completed `pulumi up`'s step basis: the stack's own output `stepBasis`, read back
 * through a StackReference to this very stack (the engine reads a stack's last outputs from its
 * backend; the preview identity may, as it reads the stack). A record that is missing (a stack's
 * first up, or one made before the output existed) or of another shape gives none, and the plan
 * says what it could not judge.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { StepBasis } from "./step-basis";

export const STEP_BASIS_OUTPUT = "stepBasis";

const deployment = z.object({ template: z.string().optional(), replicas: z.number(), maxSurge: z.union([z.number(), z.string()]), maxUnavailable: z.union([z.number(), z.string()]) });
const basisSchema = z.object({
  phase: z.number(),
  mode: z.string(),
  newTopology: z.union([z.literal(0), z.literal(1)]),
  subjects: z.record(z.string(), z.array(z.string())),
  durables: z.record(z.string(), z.string()),
  deployments: z.record(z.string(), deployment),
  canaryPercent: z.number().optional(),
});

/** A recorded basis, or undefined when it is not one. */
export function parseBasis(value: unknown): StepBasis | undefined {
  const parsed = basisSchema.safeParse(value);
  return parsed.success ? (parsed.data as StepBasis) : undefined;
}

/** Reads the last completed up's basis of this stack. */
export async function lastUpBasis(): Promise<StepBasis | undefined> {
  const self = new pulumi.StackReference("event-bus-last-up", { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` });
  const details = await self.getOutputDetails(STEP_BASIS_OUTPUT);
  return parseBasis(details.value ?? details.secretValue);
}
