/** The Kubernetes resources each stack registers, through Pulumi mocks. */
import { parseStackConfig } from "../../components/config/stack-config";
import { defineStack } from "../../components/stack";
import { recordResources, registrationsDone, settle, type Registered } from "../helpers/pulumi-mocks";
import { stackConfigFile } from "../helpers/stack-files";

async function registeredFor(stack: string): Promise<Registered[]> {
  const registered = recordResources(stack);
  const out = defineStack(parseStackConfig(stackConfigFile(stack)));
  await Promise.all([...Object.values(out.bus.streams), ...Object.values(out.bus.consumers)].map((r) => settle(r!.urn)));
  if (out.kubernetes) await Promise.all(Object.values(out.kubernetes.passwords).map((p) => settle(p)));
  // The last registrations (Deployments wait on their Secrets) reach the mock monitor after these.
  await registrationsDone();
  return registered;
}

/** How the Pulumi SDK marks a secret value on the wire. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

const count = (rs: Registered[], type: string) => rs.filter((r) => r.type === type).length;

describe("kubernetes resources through mocks", () => {
  it("the local stack has none: only streams and consumers", async () => {
    const rs = await registeredFor("local");
    expect(rs.filter((r) => r.type.startsWith("kubernetes:") || r.type.startsWith("random:"))).toEqual([]);
  });

  it.each(["staging", "production"])("%s: the NATS cluster, flags, services, alerts, dashboard, and a generated password per NATS user in a Secret", async (stack) => {
    const rs = await registeredFor(stack);
    expect(count(rs, "kubernetes:apps/v1:StatefulSet")).toBe(1);
    // nats-config, event-bus-config and the dashboard
    expect(count(rs, "kubernetes:core/v1:ConfigMap")).toBe(3);
    // the PrometheusRule and three PodMonitors
    expect(rs.filter((r) => r.type.startsWith("kubernetes:monitoring.coreos.com/v1:")).map((r) => r.type.split(":").pop()).sort()).toEqual(["PodMonitor", "PodMonitor", "PodMonitor", "PrometheusRule"]);
    expect(count(rs, "kubernetes:apps/v1:Deployment")).toBe(2);
    expect(count(rs, "kubernetes:core/v1:Service")).toBe(4);
    expect(count(rs, "kubernetes:policy/v1:PodDisruptionBudget")).toBe(1);
    expect(count(rs, "random:index/randomPassword:RandomPassword")).toBe(3);
    const secrets = rs.filter((r) => r.type === "kubernetes:core/v1:Secret");
    expect(secrets.map((s) => s.inputs.metadata.name).sort()).toEqual(["event-bus-nats-admin", "event-bus-nats-ingest", "event-bus-nats-normalize"]);
    for (const s of secrets) {
      // The engine receives the password marked secret (Pulumi's secret signature), never plain.
      expect(s.inputs.stringData[SECRET_SIG]).toBe(SECRET_VALUE);
      expect(s.inputs.stringData.value.password).toMatch(/^generated-event-bus-nats-\w+-password$/);
    }
    const replicas = stack === "production" ? 3 : 1;
    expect(rs.find((r) => r.type === "kubernetes:apps/v1:StatefulSet")!.inputs.spec.replicas).toBe(replicas);
    for (const d of rs.filter((r) => r.type === "kubernetes:apps/v1:Deployment")) expect(d.inputs.spec.replicas).toBe(replicas);
    // No ConfigMap carries a generated password.
    for (const c of rs.filter((r) => r.type === "kubernetes:core/v1:ConfigMap")) expect(JSON.stringify(c.inputs)).not.toContain("generated-");
  });
});
