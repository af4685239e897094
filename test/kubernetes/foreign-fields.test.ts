/** Containers another tool owns on an adopted object, and the commands that hand its fields over (foreign-fields.ts). */
import { handOverCommands, undeclaredContainers, undeclaredContainersError } from "../../components/kubernetes/foreign-fields";
import { helmChartNats } from "../fixtures/helm-chart-nats";
import { render } from "../helpers/render";

describe("kubernetes - fields another tool owns on an adopted object", () => {
  it("finds the Helm chart's config reloader beside the stack's containers, and nothing on the stack's own StatefulSet", () => {
    const { m } = render("production", { kubernetes: { nats: { layout: { preset: "helm-chart", helmRelease: "production-nats" } } } });
    const declared = m.natsStatefulSet.spec!.template.spec!.containers;
    const chart = helmChartNats("production-nats", "production").find((o) => o.kind === "StatefulSet");
    expect(undeclaredContainers(chart.spec.template.spec.containers, declared)).toEqual(["reloader"]);
    expect(undeclaredContainers(declared, declared)).toEqual([]);
  });

  it("refuses with the two commands that hand the fields over, neither of which changes the pod template", () => {
    expect(handOverCommands("production", "apps/v1", "StatefulSet", "production-nats")).toEqual([
      `kubectl -n production patch statefulset/production-nats --type=merge -p '{"metadata":{"managedFields":[{}]}}'`,
      `echo '{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"production-nats","annotations":{"event-bus.athlete-ally/handed-over":"true"}}}' | kubectl -n production apply --server-side --field-manager=kubectl -f -`,
    ]);
    const text = undeclaredContainersError("production", "apps/v1", "StatefulSet", "production-nats", ["reloader"]);
    expect(text).toMatch(/^statefulset production\/production-nats: container reloader of its pods is not the stack's/);
    expect(text).toContain(handOverCommands("production", "apps/v1", "StatefulSet", "production-nats").join(" && "));
  });
});
