import { leftoverEnv, leftoverEnvError } from "../../components/kubernetes/leftover-env";

describe("leftover env - entries set by hand that shadow the flags", () => {
  const flags = ["EVENT_STREAM_MODE", "STREAM_CORE_NAME"];
  it("finds explicit env entries named after a flag, in every container, and nothing else", () => {
    const containers = [
      { name: "normalize-service", env: [{ name: "NATS_USER", value: "normalize-service" }, { name: "EVENT_STREAM_MODE", value: "multi" }] },
      { name: "sidecar", env: [{ name: "STREAM_CORE_NAME", valueFrom: { configMapKeyRef: { name: "other", key: "x" } } }] },
      { name: "plain" },
    ];
    expect(leftoverEnv(containers, flags)).toEqual([
      { container: "normalize-service", name: "EVENT_STREAM_MODE", value: "multi" },
      { container: "sidecar", name: "STREAM_CORE_NAME", value: "(from a reference)" },
    ]);
    expect(leftoverEnv([{ name: "c", env: [{ name: "NATS_USER", value: "x" }] }], flags)).toEqual([]);
    // What the stack's own container declares (ingest-service gets its flags inline) is the stack's, not a leftover.
    expect(leftoverEnv([{ name: "ingest-service", env: [{ name: "EVENT_STREAM_MODE", value: "single" }] }], flags, [{ name: "ingest-service", env: [{ name: "EVENT_STREAM_MODE", value: "multi" }] }])).toEqual([]);
    expect(leftoverEnv([{ name: "ingest-service", env: [{ name: "EVENT_STREAM_MODE", value: "single" }] }], flags, [{ name: "other", env: [{ name: "EVENT_STREAM_MODE", value: "multi" }] }])).toHaveLength(1);
  });
  it("says what shadows which flag, and the command that removes each", () => {
    const message = leftoverEnvError("production", "normalize-service", [
      { container: "normalize-service", name: "EVENT_STREAM_MODE", value: "multi" },
      { container: "normalize-service", name: "STREAM_CORE_NAME", value: "X" },
    ]);
    expect(message).toContain("deployment production/normalize-service: env EVENT_STREAM_MODE=multi (container normalize-service), env STREAM_CORE_NAME=X (container normalize-service) was set by hand");
    expect(message).toContain("kubectl -n production set env deployment/normalize-service -c normalize-service EVENT_STREAM_MODE- STREAM_CORE_NAME-");
  });
});
