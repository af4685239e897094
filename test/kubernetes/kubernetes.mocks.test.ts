/** The Kubernetes resources each stack registers, through Pulumi mocks. */
import { parseStackConfig } from "../../components/config/stack-config";
import { defineStack } from "../../components/stack";
import { recordResources, registrationsDone, settle, type Registered } from "../helpers/pulumi-mocks";
import { stackConfigFile } from "../helpers/stack-files";
import { adoptKey } from "../../components/kubernetes/adoption";
import { allManifests } from "../../components/kubernetes/manifests";
import { render } from "../helpers/render";

async function registeredFor(stack: string, kubernetes: Record<string, unknown> = {}): Promise<Registered[]> {
  const registered = recordResources(stack);
  const file = stackConfigFile(stack);
  const out = defineStack(parseStackConfig({ ...file, ...(file.kubernetes ? { kubernetes: { ...(file.kubernetes as object), ...kubernetes } } : {}) }));
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
  it("production adopting every object it makes: each is imported by namespace and name, with the plugin's force annotation; nothing else is", async () => {
    const adopt = allManifests(render("production").m).map(adoptKey);
    const rs = await registeredFor("production", { adopt });
    const k8s = rs.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:core/v1:Namespace");
    // A `.get()` is a read (no inputs): the live nats.conf and the adopted Deployments' env, looked at in the preview.
    const imported = k8s.filter((r) => r.importId && r.inputs.kind);
    const reads = k8s.filter((r) => r.importId && !r.inputs.kind).map((r) => `${r.type.split(":").at(-1)}/${r.importId}`);
    expect(reads.sort()).toEqual(["ConfigMap/production/nats-config", "StatefulSet/production/nats", ...adopt.filter((a) => a.startsWith("Deployment/")).map((a) => `Deployment/production/${a.split("/")[1]}`)].sort());
    const adopted = imported.map((r) => `${r.inputs.kind}/${r.inputs.metadata.name}`);
    expect(adopted.sort()).toEqual([...adopt].sort());
    for (const r of imported) {
      expect({ key: `${r.inputs.kind}/${r.inputs.metadata.name}`, id: r.importId, force: r.inputs.metadata.annotations?.["pulumi.com/patchForce"] }).toEqual({
        key: `${r.inputs.kind}/${r.inputs.metadata.name}`,
        id: `production/${r.inputs.metadata.name}`,
        force: "true",
      });
    }
    // The users' Secrets are the stack's own (new names): never adopted.
    expect(k8s.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.importId)).toEqual([]);
  });

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
    // the servers' own password for routes, and one per service user in staging; none for admin
    // and preview, nor for production's services, whose passwords are kept out of the stack (the
    // stack file gives their hashes; the services read Secrets their owners made)
    const generated = stack === "production" ? [] : ["ingest", "normalize"];
    expect(rs.filter((r) => r.type === "random:index/randomPassword:RandomPassword").map((r) => r.name).sort()).toEqual([...generated.map((u) => `event-bus-nats-${u}-password`), "event-bus-nats-route-password"]);
    const secrets = rs.filter((r) => r.type === "kubernetes:core/v1:Secret");
    expect(secrets.map((s) => s.inputs.metadata.name).sort()).toEqual([...generated.map((u) => `event-bus-nats-${u}`), "event-bus-nats-passwords"]);
    const hashes = (stackConfigFile(stack).kubernetes as { nats: { passwordHashes: { admin: string; preview: string; system: string; ingest?: string; normalize?: string } } }).nats.passwordHashes;
    for (const s of secrets) {
      // The engine receives the passwords, and their hashes, marked secret (Pulumi's secret signature), never plain.
      expect(s.inputs.stringData[SECRET_SIG]).toBe(SECRET_VALUE);
      if (s.inputs.metadata.name === "event-bus-nats-passwords") {
        // The servers' files: one bcrypt hash per user, no user's password.
        // The route user's password as it is (implicit routes sign in with it: nats-passwords.ts), as in the routes' URLs.
        expect(s.inputs.stringData.value["routes.conf"]).toMatch(/^authorization \{ user: "event-bus-route", password: "generated-event-bus-nats-route-password" \}\nroutes: \[\n/);
        const conf = s.inputs.stringData.value["passwords.conf"] as string;
        expect(conf).toMatch(/^PASSWORD_ADMIN: "\S+"\nPASSWORD_PREVIEW: "\S+"\nPASSWORD_INGEST: "\$2[ab]\$11\$[./A-Za-z0-9]{53}"\nPASSWORD_NORMALIZE: "\$2[ab]\$11\$[./A-Za-z0-9]{53}"\nPASSWORD_SYSTEM: "\S+"\n$/);
        // production's services' are the stack file's hashes too
        if (stack === "production") expect(conf.split("\n").slice(2, 4)).toEqual([`PASSWORD_INGEST: ${JSON.stringify(hashes.ingest)}`, `PASSWORD_NORMALIZE: ${JSON.stringify(hashes.normalize)}`]);
        // admin's, preview's and the system user's are the stack file's hashes, as given
        const lines = conf.split("\n");
        expect([...lines.slice(0, 2), lines[4]]).toEqual([`PASSWORD_ADMIN: ${JSON.stringify(hashes.admin)}`, `PASSWORD_PREVIEW: ${JSON.stringify(hashes.preview)}`, `PASSWORD_SYSTEM: ${JSON.stringify(hashes.system)}`]);
      } else {
        expect(s.inputs.stringData.value.password).toMatch(/^generated-event-bus-nats-\w+-password$/);
      }
    }
    // The pods' digests of what they were given are plain (digests of hashes), so a password change shows as a roll.
    const sts = rs.find((r) => r.type === "kubernetes:apps/v1:StatefulSet")!;
    expect(sts.inputs.spec.template.metadata.annotations["checksum/nats-passwords"]).toMatch(/^[0-9a-f]{64}$/);
    for (const d of rs.filter((r) => r.type === "kubernetes:apps/v1:Deployment")) expect(d.inputs.spec.template.metadata.annotations["checksum/nats-password"]).toMatch(/^[0-9a-f]{64}$/);
    const replicas = stack === "production" ? 3 : 1;
    expect(rs.find((r) => r.type === "kubernetes:apps/v1:StatefulSet")!.inputs.spec.replicas).toBe(replicas);
    for (const d of rs.filter((r) => r.type === "kubernetes:apps/v1:Deployment")) expect(d.inputs.spec.replicas).toBe(replicas);
    // No ConfigMap carries a generated password.
    for (const c of rs.filter((r) => r.type === "kubernetes:core/v1:ConfigMap")) expect(JSON.stringify(c.inputs)).not.toContain("generated-");
  });
});
