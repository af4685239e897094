/** Taking over live Kubernetes objects (event-bus:kubernetes.adopt): which objects, and how the stack declares them. */
import { adoption, adoptionIds, adoptKey, PATCH_FORCE_ANNOTATION } from "../../components/kubernetes/adoption";
import { allManifests } from "../../components/kubernetes/manifests";
import { render } from "../helpers/render";

describe("adopting live Kubernetes objects", () => {
  const { m } = render("production");
  const rendered = allManifests(m);

  it("names each object by kind and name, and imports it by namespace and name", () => {
    expect(rendered.map(adoptKey)).toEqual(expect.arrayContaining(["StatefulSet/nats", "Deployment/normalize-service", "Deployment/ingest-service", "ConfigMap/event-bus-config", "Service/nats-headless"]));
    expect(adoptionIds(rendered, ["StatefulSet/nats", "ConfigMap/event-bus-config"])).toEqual({ "StatefulSet/nats": "production/nats", "ConfigMap/event-bus-config": "production/event-bus-config" });
    expect(adoptionIds(rendered, [])).toEqual({});
  });

  it("refuses a name the stack does not make, or one named twice, naming the key's index and what it could be", () => {
    expect(() => adoptionIds(rendered, ["StatefulSet/nats", "Deployment/normalize", "StatefulSet/nats"])).toThrow(
      /event-bus:kubernetes\.adopt\[1\]: "Deployment\/normalize" is not an object this stack makes; expected one of .*"Deployment\/normalize-service"[\s\S]*event-bus:kubernetes\.adopt\[2\]: "StatefulSet\/nats" is named twice/,
    );
  });

  it("an adopted object is imported, takes its fields over from the hand that set them, and keeps what the server assigned; any other is created as declared", () => {
    const ids = adoptionIds(rendered, ["Service/nats", "StatefulSet/nats"]);
    const service = adoption(m.natsClient, ids);
    expect(service.options).toEqual({ import: "production/nats", ignoreChanges: expect.arrayContaining(["spec.clusterIP", "spec.clusterIPs"]) });
    expect(service.manifest.metadata!.annotations).toEqual({ [PATCH_FORCE_ANNOTATION]: "true" });
    expect({ ...service.manifest, metadata: { ...service.manifest.metadata, annotations: undefined } }).toEqual({ ...m.natsClient, metadata: { ...m.natsClient.metadata, annotations: undefined } });
    // The claim template's size and name stay compared: only the server's defaults are kept.
    const sts = adoption(m.natsStatefulSet, ids).options.ignoreChanges!;
    expect(sts).toContain("spec.volumeClaimTemplates[*].status");
    expect(sts.filter((p) => /storage|accessModes|metadata\.name|selector|serviceName|podManagementPolicy/.test(p))).toEqual([]);
    expect(adoption(m.flags, ids)).toEqual({ manifest: m.flags, options: {} });
    // What the server assigns is kept on every Service, adopted or not: an adopted one stays safe once it leaves the list.
    expect(adoption(m.natsHeadless, ids)).toEqual({ manifest: m.natsHeadless, options: { ignoreChanges: service.options.ignoreChanges } });
  });

  it("the service Deployments select as the seeds' live ones do (app only), so an import changes no selector", () => {
    for (const d of m.deployments) expect(d.spec!.selector).toEqual({ matchLabels: { app: d.metadata!.name } });
  });
});
