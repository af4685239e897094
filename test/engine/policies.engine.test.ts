/**
 * The policy pack inside `pulumi preview --policy-pack policies`, as users and CI run it, against
 * an empty server (the program's look at the bus answers at once; an address nothing listens on
 * would make every preview wait out the look's timeout). Bad stacks come from a fixture program
 * that adds resources the stack configuration itself would refuse to build
 * (test/fixtures/programs/extra-resources.js).
 */
import * as path from "node:path";
import { engineStack, type EngineStack } from "../helpers/engine";
import { closeConnections } from "../../components/jetstream/client";
import { REPO_ROOT, startServer, type ServerNode } from "../helpers/nats-servers";

const POLICY_PACK = path.join(REPO_ROOT, "policies");

let server: ServerNode;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await closeConnections();
  await server?.stop();
});

async function previewWithPolicies(stackName: string, extra?: unknown[]) {
  const overrides: Record<string, unknown> = { kubernetes: undefined, nats: { servers: [server.url] } };
  if (extra) overrides["fixture:extra"] = extra;
  const stack: EngineStack = await engineStack(stackName, { overrides, program: extra ? "extra-resources.js" : undefined });
  try {
    const r = await stack.run(["preview", "--policy-pack", POLICY_PACK]);
    return { code: r.code, out: r.stdout + r.stderr };
  } finally {
    stack.remove();
  }
}

describe("engine - pulumi preview --policy-pack policies", () => {
  it.each(["local", "staging", "production"])("the %s stack passes every policy", async (name) => {
    const r = await previewWithPolicies(name);
    expect(r.out).not.toMatch(/Policy Violations/);
    expect(r.out).toMatch(/event-bus@v0\.1\.0/);
    expect(r.code).toBe(0);
  }, 60_000);

  it("a stream whose subjects overlap another's fails the preview with jetstream-no-subject-overlap", async () => {
    const r = await previewWithPolicies("local", [{ kind: "stream", name: "overlap", args: { name: "HRV_COPY", subjects: ["athlete-ally.hrv.>"], maxAge: "1h" } }]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/\[mandatory\]\s+jetstream-no-subject-overlap/);
    expect(r.out).toMatch(/streams (AA_CORE_HOT and HRV_COPY|HRV_COPY and AA_CORE_HOT) overlap/);
    expect(r.out).toMatch(/❌ event-bus@v0\.1\.0/);
  }, 60_000);

  it("a consumer filter outside its stream fails the preview with jetstream-consumer-filter-in-stream", async () => {
    const r = await previewWithPolicies("local", [
      { kind: "consumer", name: "outside", args: { stream: "AA_CORE_HOT", durableName: "reads-vendor", filterSubject: "vendor.oura.sleep", ackPolicy: "explicit" } },
    ]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/\[mandatory\]\s+jetstream-consumer-filter-in-stream/);
    expect(r.out).toMatch(/reads-vendor: filter "vendor\.oura\.sleep" is outside stream AA_CORE_HOT/);
  }, 60_000);

  it("a production stream with replicas 1 fails the preview with jetstream-replicas-by-environment", async () => {
    const r = await previewWithPolicies("production", [{ kind: "stream", name: "small", args: { name: "SMALL", subjects: ["small.>"], replicas: 1, maxAge: "1h" } }]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/\[mandatory\]\s+jetstream-replicas-by-environment/);
    expect(r.out).toMatch(/stream SMALL: production streams need 3 replicas, it has 1/);
  }, 60_000);
});
