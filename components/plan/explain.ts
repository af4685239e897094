/**
 * Wires the step plan into the program: the basis this program records (the stack output
 * stepBasis, for the next step's plan), and, in a preview, the plan printed from the last up's
 * basis, the program's own and the live bus. The bus is read after the program's look, with its
 * own deadline: a read that fails or is slow leaves the plan saying what it could not judge, and
 * never changes the look (which guards retirement and the phase step) or fails the preview.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/stack-config";
import type { EventBusServices } from "../kubernetes/event-bus-services";
import type { KubernetesManifests } from "../kubernetes/manifests";
import { closeConnections, manager } from "../jetstream/client";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { streamToWire } from "../jetstream/wire";
import { within } from "../poll";
import { knownValue, LOOK_TIMEOUT_MS, type BusLook } from "../topology/bus-look";
import { CATALOGUE, STREAM_ROLES } from "../topology/catalogue";
import type { Topology } from "../topology/topology";
import { lastUpBasis } from "./last-up";
import { readLiveBus, type LiveBus, type LiveDurable } from "./live-bus";
import { PLAN_HEADING, planText } from "./plan-text";
import { deploymentBasis, stepBasisOf, type DeploymentBasis, type StepBasis } from "./step-basis";
import { planStep, type StepPlan } from "./step-plan";

/** What the program knows of its service Deployments: their manifests and pod template digests. */
export interface ServiceTemplates {
  manifests?: KubernetesManifests;
  services?: EventBusServices;
  /** event-bus:kubernetes.canaryPercent, on Kubernetes. */
  canaryPercent?: number;
}

const templatesOf = (s: ServiceTemplates) => (s.manifests?.deployments ?? []).map((d) => ({ d, digest: s.services?.templates[d.metadata!.name!] ?? pulumi.output<string | undefined>(undefined) }));

/**
 * The basis this program records: its topology, and its Deployments' pod templates as applied.
 * It waits for `applied` (the streams, durables and Deployments): an up that fails on one of them
 * records nothing, and the next plan still compares with the last up that went through.
 */
export function stepBasisOutput(topology: Topology, s: ServiceTemplates, applied: pulumi.CustomResource[]): pulumi.Output<StepBasis> {
  const all = templatesOf(s);
  return pulumi
    .all([pulumi.all(all.map((t) => t.digest)), pulumi.all(applied.map((r) => r.id))])
    .apply(([digests]) => stepBasisOf(topology, Object.fromEntries(all.map((t, i) => [t.d.metadata!.name!, deploymentBasis(t.d, digests[i])])), s.canaryPercent));
}

/** The same basis now, in a preview: a pod template not known yet (a password made by this update) is left without its digest. */
async function basisNow(topology: Topology, s: ServiceTemplates): Promise<StepBasis> {
  const deployments: Record<string, DeploymentBasis> = {};
  for (const t of templatesOf(s)) deployments[t.d.metadata!.name!] = deploymentBasis(t.d, await knownValue(t.digest));
  return stepBasisOf(topology, deployments, s.canaryPercent);
}

/** Why the look saw no bus, for the plan. */
function unseen(look: BusLook): string {
  if (look.seen === "unknown") return "its NATS cluster or credentials are made by this update";
  return look.refused ? `the sign-in was refused: ${look.refused}` : "no answer in time";
}

/** The bus as the plan needs it, or why it was not read: only once the look has seen it, within the look's deadline. */
async function liveForPlan(config: StackConfig, topology: Topology, look: BusLook, connection: pulumi.Output<ConnectionArgs>): Promise<LiveBus | { notJudged: string }> {
  if (look.seen !== "seen") return { notJudged: unseen(look) };
  const conn = await knownValue(connection);
  if (!conn) return { notJudged: "the connection is not known yet" };
  let failure = "no answer in time";
  const durables = [...new Set(topology.consumers.map((c) => c.config.durableName))];
  // Only a durable the step moves needs a drain estimate (the sample waits a second).
  const home = Object.fromEntries(topology.consumers.map((c) => [c.config.durableName, c.config.stream]));
  const moves = (d: LiveDurable) => home[d.name] !== d.stream;
  const read = (async () => readLiveBus(await manager(conn), STREAM_ROLES.map((role) => config.streams[role]), durables, conn, { sample: moves }))().catch((e: Error) => {
    failure = e.message;
    throw e;
  });
  try {
    return (await within(LOOK_TIMEOUT_MS, read)) ?? { notJudged: `reading the streams and durables: ${failure}` };
  } finally {
    await closeConnections();
  }
}

/** The plan of the step this program makes, from the last up's basis and the live bus. */
export async function explainStep(config: StackConfig, topology: Topology, s: ServiceTemplates, look: BusLook, connection: pulumi.Output<ConnectionArgs>): Promise<StepPlan> {
  const previous = await lastUpBasis();
  return planStep({
    target: await basisNow(topology, s),
    previous,
    live: await liveForPlan(config, topology, look, connection),
    names: { legacy: config.streams.legacy, core: config.streams.core },
    claimSubjects: Object.fromEntries(topology.consumers.map((c) => [c.config.durableName, c.claimSubject])),
    wires: Object.fromEntries(topology.streams.map((st) => [st.config.name, streamToWire(st.config)])),
    legacy: { quietPeriod: config.retention.legacyQuietPeriod, retirePhase: CATALOGUE.retirePhase, ...(topology.legacyHold ? { hold: topology.legacyHold } : {}), ...(look.forcedRetirement ? { forced: look.forcedRetirement } : {}) },
    safety: { forceDelete: config.forceDelete === true, allowReplace: config.allowReplace === true },
  });
}

/**
 * The variable that names a file the plan is also written to: the workflows' step after the
 * preview reads it, to lead the pull-request comment and the approval summary with it
 * (scripts/step-plan-report.ts).
 */
export const STEP_PLAN_FILE_ENV = "EVENT_BUS_STEP_PLAN_FILE";

/**
 * Prints the plan in a preview (an `up` previews first, so its plan is printed there too). A plan
 * that could not be made says so, and never fails the preview.
 */
export async function printStepPlan(config: StackConfig, topology: Topology, s: ServiceTemplates, look: BusLook, connection: pulumi.Output<ConnectionArgs>): Promise<void> {
  if (!pulumi.runtime.isDryRun()) return;
  const text = await explainStep(config, topology, s, look, connection).then(
    (plan) => planText(plan).join("\n"),
    (e: Error) => `${PLAN_HEADING}: not judged (${e.message})`,
  );
  pulumi.log.info(text);
  const file = process.env[STEP_PLAN_FILE_ENV];
  if (file) fs.writeFileSync(file, `${text}\n`);
}
