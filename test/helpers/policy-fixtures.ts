/**
 * A healthy production-like stack as policy resources, and one-field changes of it, for
 * testing each policy on its own (`validateStack` called directly).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { CONSUMER_TYPE, STREAM_TYPE } from "../../components/resource-types";

export function resource(type: string, name: string, props: Record<string, unknown>, protect = false, stack = "production"): PolicyResource {
  return {
    type,
    name,
    urn: `urn:pulumi:${stack}::event-bus::${type}::${name}`,
    props,
    opts: { protect, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  } as unknown as PolicyResource;
}

const STREAM = STREAM_TYPE;
const CONSUMER = CONSUMER_TYPE;

export interface FixtureOptions {
  stack?: string;
  streams?: Record<string, Record<string, unknown>>;
  consumers?: Record<string, Record<string, unknown>>;
  flags?: Record<string, string>;
  unprotected?: string[];
  extra?: PolicyResource[];
}

/** The production stack at phase 3: three R3 protected streams, two durables, the flags, a 3-node cluster. */
export function stackFixture(o: FixtureOptions = {}): PolicyResource[] {
  const stack = o.stack ?? "production";
  const streams: Record<string, Record<string, unknown>> = {
    core: { name: "AA_CORE_HOT", subjects: ["athlete-ally.>", "sleep.*"], replicas: 3, maxAge: "48h" },
    vendor: { name: "AA_VENDOR_HOT", subjects: ["vendor.>"], replicas: 3, maxAge: "48h" },
    dlq: { name: "AA_DLQ", subjects: ["dlq.>"], replicas: 3, maxAge: "14d" },
  };
  for (const [k, v] of Object.entries(o.streams ?? {})) streams[k] = { ...streams[k], ...v };
  const consumers: Record<string, Record<string, unknown>> = {
    hrv: { stream: "AA_CORE_HOT", durableName: "normalize-hrv-durable", filterSubject: "athlete-ally.hrv.raw-received", maxDeliver: 5, replicas: 3 },
    oura: { stream: "AA_VENDOR_HOT", durableName: "normalize-oura", filterSubject: "vendor.oura.>", maxDeliver: 5, replicas: 3 },
  };
  for (const [k, v] of Object.entries(o.consumers ?? {})) consumers[k] = { ...consumers[k], ...v };
  return [
    ...Object.entries(streams).map(([k, p]) => resource(STREAM, `stream-${k}`, p, !(o.unprotected ?? []).includes(k), stack)),
    ...Object.entries(consumers).map(([k, p]) => resource(CONSUMER, `consumer-${k}`, p, false, stack)),
    resource("kubernetes:core/v1:ConfigMap", "flags", {
      metadata: { name: "event-bus-config" },
      data: {
        EVENT_STREAM_MODE: "multi",
        FEATURE_SERVICE_MANAGES_STREAMS: "false",
        FEATURE_SERVICE_MANAGES_CONSUMERS: "false",
        NORMALIZE_HRV_DURABLE: "normalize-hrv-durable",
        NORMALIZE_HRV_DLQ_SUBJECT: "dlq.normalize.hrv.raw-received",
        ...o.flags,
      },
    }, false, stack),
    resource("kubernetes:apps/v1:StatefulSet", "nats", { metadata: { name: "nats" }, spec: { replicas: 3 } }, false, stack),
    ...(o.extra ?? []),
  ];
}

/** The violations a policy reports on resources, with optional policy config. */
export async function violations(policy: StackValidationPolicy, resources: PolicyResource[], config: Record<string, unknown> = {}): Promise<string[]> {
  const found: string[] = [];
  await policy.validateStack(
    { resources, getConfig: <T>() => config as T, stackTags: new Map(), notApplicable: () => undefined as never } as never,
    (message: string) => found.push(message),
  );
  return found;
}
