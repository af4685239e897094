/** The resource graph of each stack, through Pulumi mocks. */
import { parseStackConfig } from "../../components/config/stack-config";
import { defineStack } from "../../components/stack";
import * as pulumi from "@pulumi/pulumi";
import { recordResources, settle } from "../helpers/pulumi-mocks";
import { STACKS, stackConfigFile } from "../helpers/stack-files";

/** The stacks as committed: no secret config (on Kubernetes the admin password is generated). */
const secretsOf = (_stack: string) => ({});
const configOf = (stack: string) => parseStackConfig(stackConfigFile(stack));

/** Sorted by name, so that the order of registration does not matter. */
const byName = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => key(a).localeCompare(key(b)));

/**
 * What each committed stack must register, written out from its Pulumi.<stack>.yaml (no stream
 * renamed, no durable overridden) and the catalogue: local and staging are in migration phase 3
 * (the legacy stream retired, every subject on a hot stream), production in phase 0 (everything
 * on the legacy stream, the hot streams created ahead capturing nothing, so no `subjects`).
 */
const PHASE_3 = {
  streams: [
    { name: "AA_CORE_HOT", subjects: ["athlete-ally.>", "sleep.*"] },
    { name: "AA_DLQ", subjects: ["dlq.>"] },
    { name: "AA_VENDOR_HOT", subjects: ["vendor.>"] },
  ],
  consumers: [
    { durable: "normalize-hrv-durable", stream: "AA_CORE_HOT", filter: "athlete-ally.hrv.raw-received" },
    { durable: "normalize-oura", stream: "AA_VENDOR_HOT", filter: "vendor.oura.>" },
  ],
};
const PHASE_0 = {
  streams: [
    { name: "AA_CORE_HOT", subjects: undefined },
    { name: "AA_DLQ", subjects: ["dlq.>"] },
    { name: "AA_VENDOR_HOT", subjects: undefined },
    { name: "ATHLETE_ALLY_EVENTS", subjects: ["athlete-ally.>", "vendor.oura.>", "sleep.*"] },
  ],
  consumers: [
    { durable: "normalize-hrv-durable", stream: "ATHLETE_ALLY_EVENTS", filter: "athlete-ally.hrv.raw-received" },
    { durable: "normalize-oura", stream: "ATHLETE_ALLY_EVENTS", filter: "vendor.oura.>" },
  ],
};
const EXPECTED: Record<(typeof STACKS)[number], typeof PHASE_3 | typeof PHASE_0> = { local: PHASE_3, staging: PHASE_3, production: PHASE_0 };

/** Waits until every resource of the stack is registered: its serialised provider included. */
async function allRegistered(out: ReturnType<typeof defineStack>): Promise<void> {
  await Promise.all([...Object.values(out.bus.streams), ...Object.values(out.bus.consumers)].map((r) => settle(r!.urn)));
  if (out.kubernetes) await settle(out.kubernetes.urn);
}

describe.each(STACKS)("stack %s - resources through mocks", (stack) => {
  it("registers the topology's streams and consumers with the configured settings", async () => {
    const registered = recordResources(stack);
    const out = defineStack(configOf(stack), secretsOf(stack));
    await allRegistered(out);
    const streams = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/event-bus:Stream");
    const consumers = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/event-bus:Consumer");
    const replicas = stack === "production" ? 3 : 1;
    // What reached the engine is the stack's bus, stream by stream and durable by durable.
    expect(byName(streams.map((s) => ({ name: s.inputs.name, subjects: s.inputs.subjects })), (s) => s.name)).toEqual(EXPECTED[stack].streams);
    expect(byName(consumers.map((c) => ({ durable: c.inputs.durableName, stream: c.inputs.stream, filter: c.inputs.filterSubject })), (c) => c.durable)).toEqual(EXPECTED[stack].consumers);
    for (const s of streams) expect(s.inputs.replicas).toBe(replicas);
    for (const c of consumers) expect(c.inputs.replicas).toBe(replicas);
    expect(consumers.length).toBeGreaterThan(0);
    // Every dynamic resource carries its serialised provider; none carries a password in it.
    for (const r of [...streams, ...consumers]) {
      expect(typeof r.inputs.__provider).toBe("string");
      expect(r.inputs.__provider).not.toContain("generated-");
    }
  });

  it("keeps the connection secret; the admin password is not in it, nor anywhere in the stack (only its variable's name)", async () => {
    recordResources(stack);
    const out = defineStack(configOf(stack), secretsOf(stack));
    await allRegistered(out);
    for (const s of Object.values(out.bus.streams)) {
      const connection = await settle((s as unknown as { connection: pulumi.Output<unknown> }).connection);
      expect(connection.secret).toBe(true);
      if (stack !== "local") {
        expect(connection.value).toMatchObject({ user: "event-bus-admin", passwordEnv: "EVENT_BUS_NATS_ADMIN_PASSWORD", preview: { user: "event-bus-preview", passwordEnv: "EVENT_BUS_NATS_PREVIEW_PASSWORD" } });
        expect(connection.value).not.toHaveProperty("password");
      }
    }
  });
});

describe("stack - protection", () => {
  it("production streams are protected, staging ones are not", async () => {
    for (const stack of ["staging", "production"] as const) {
      recordResources(stack);
      const out = defineStack(configOf(stack), secretsOf(stack));
      await allRegistered(out);
      for (const s of Object.values(out.bus.streams)) {
        expect((s as unknown as { __protect: boolean }).__protect).toBe(stack === "production");
      }
    }
  });
});
