/**
 * The policy pack as the CLI runs it: its own program serves @pulumi/policy's analyzer over
 * gRPC, and the stack's resources (from the program under mocks) are analyzed by it. The three
 * stacks pass; seeded bad programs are blocked by the right policy.
 */
import * as k8s from "@pulumi/kubernetes";
import { parseStackConfig } from "../../components/config/stack-config";
import { Consumer } from "../../components/providers/consumer";
import { Stream } from "../../components/providers/stream";
import { defineStack } from "../../components/stack";
import { captureProgram, captureStack } from "../../scripts/lib/capture-stack";
import { analyzeStack, Diagnostic } from "../../scripts/lib/policy-runner";
import { isAlive } from "../helpers/pid-ledger";
import { stackConfigFile } from "../helpers/stack-files";

const connection = { servers: ["nats://127.0.0.1:4222"] };
const mandatory = (ds: Diagnostic[]) => ds.filter((d) => d.level === "mandatory");

async function analyze(stack: string, extra: () => void, configure?: (c: ReturnType<typeof parseStackConfig>) => ReturnType<typeof parseStackConfig>) {
  const resources = await captureProgram(stack, () => {
    const config = parseStackConfig(stackConfigFile(stack));
    defineStack(configure ? configure(config) : config);
    extra();
  });
  let pid = 0;
  const ds = await analyzeStack(resources, {}, (p) => (pid = p));
  expect(isAlive(pid)).toBe(false);
  return ds;
}

describe("policy pack through its analyzer server", () => {
  it.each(["local", "staging", "production"])("the %s stack passes", async (stack) => {
    const ds = await analyzeStack(await captureStack(stack, stackConfigFile(stack)));
    expect(mandatory(ds)).toEqual([]);
  });

  it("an overlapping stream is blocked by jetstream-no-subject-overlap", async () => {
    const ds = await analyze("staging", () => new Stream("copy", { name: "VENDOR_COPY", subjects: ["vendor.oura.>"], maxAge: "48h", connection }));
    expect(mandatory(ds).map((d) => d.policy)).toEqual(["jetstream-no-subject-overlap"]);
    expect(ds[0].message).toMatch(/streams (AA_VENDOR_HOT and VENDOR_COPY|VENDOR_COPY and AA_VENDOR_HOT) overlap/);
  });

  it("a filter outside its stream is blocked by jetstream-consumer-filter-in-stream", async () => {
    const ds = await analyze("staging", () =>
      new Consumer("stray", { stream: "AA_CORE_HOT", durableName: "stray", filterSubject: "vendor.garmin.>", connection }),
    );
    expect(mandatory(ds).map((d) => d.policy)).toEqual(["jetstream-consumer-filter-in-stream"]);
  });

  it("replicas 1 in production is blocked by jetstream-replicas-by-environment", async () => {
    const ds = await analyze("production", () => undefined, (c) => ({ ...c, replicas: 1 }));
    expect(new Set(mandatory(ds).map((d) => d.policy))).toEqual(new Set(["jetstream-replicas-by-environment"]));
  });

  it("a password in a ConfigMap is blocked by kubernetes-no-secret-values", async () => {
    const ds = await analyze("staging", () =>
      new k8s.core.v1.ConfigMap("leaky", { metadata: { name: "leaky", namespace: "staging" }, data: { NATS_URL: "nats://admin:hunter2@nats:4222", NATS_PASSWORD: "hunter2" } }),
    );
    expect(mandatory(ds).map((d) => d.policy)).toEqual(["kubernetes-no-secret-values"]);
    expect(ds.filter((d) => d.level === "advisory").map((d) => d.policy)).toEqual(["kubernetes-no-secret-names"]);
    expect(JSON.stringify(ds)).not.toContain("hunter2");
  });
});
