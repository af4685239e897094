/**
 * Runs the policy pack exactly as the Pulumi CLI does: the pack's own program starts
 * @pulumi/policy's analyzer server (gRPC), which is configured and asked to analyze the stack's
 * resources. The server process is stopped by its PID.
 */
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { CapturedResource } from "./capture-stack";
import { startPlugin } from "./plugin-process";
import { SECRET_TYPE } from "../../components/resource-types";

/* eslint-disable @typescript-eslint/no-require-imports */
const analyzerrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerproto = require("@pulumi/pulumi/proto/analyzer_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");

export const ROOT = path.resolve(__dirname, "..", "..");
/** The compiled pack (npm run build), which policies/package.json names as the pack's main for the CLI too. */
export const COMPILED_PACK = path.join(ROOT, "bin", "policies", "index.js");

export interface Diagnostic {
  policy: string;
  level: "advisory" | "mandatory" | "disabled" | "remediate";
  message: string;
  urn: string;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

/** Properties the analyzer may see: no serialised provider, no connection, no Secret data. */
function analyzable(r: CapturedResource): Record<string, unknown> {
  const { __provider: _p, connection: _c, stringData: _s, data, ...rest } = r.inputs as Record<string, unknown>;
  return r.type === SECRET_TYPE ? rest : { ...rest, ...(data !== undefined ? { data } : {}) };
}

export async function analyzeStack(
  resources: CapturedResource[],
  policyConfig: Record<string, Record<string, unknown>> = {},
  onPid?: (pid: number) => void,
): Promise<Diagnostic[]> {
  const plugin = await startPlugin("policy pack", [COMPILED_PACK], path.join(ROOT, "policies"));
  onPid?.(plugin.child.pid!);
  try {
    const port = plugin.port;
    const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const call = <T>(method: string, req: unknown) =>
      new Promise<T>((resolve, reject) => client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
    try {
      const configure = new analyzerproto.ConfigureAnalyzerRequest();
      for (const [policy, props] of Object.entries(policyConfig)) {
        const pc = new analyzerproto.PolicyConfig();
        const level = LEVELS.indexOf((props.enforcementLevel as (typeof LEVELS)[number]) ?? "mandatory");
        pc.setEnforcementlevel(level < 0 ? 1 : level);
        const { enforcementLevel: _e, ...rest } = props;
        pc.setProperties(structproto.Struct.fromJavaScript(rest));
        configure.getPolicyconfigMap().set(policy, pc);
      }
      await call("configure", configure);
      const req = new analyzerproto.AnalyzeStackRequest();
      req.setResourcesList(
        resources.map((r) => {
          const ar = new analyzerproto.AnalyzerResource();
          ar.setType(r.type);
          ar.setUrn(r.urn);
          ar.setName(r.name);
          ar.setParent(r.parent);
          ar.setDependenciesList(r.dependencies);
          ar.setProperties(structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(analyzable(r)))));
          ar.setOptions(new analyzerproto.AnalyzerResourceOptions().setProtect(r.protect).setParent(r.parent));
          return ar;
        }),
      );
      const res = await call<any>("analyzeStack", req);
      return res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: LEVELS[d.getEnforcementlevel()], message: d.getMessage(), urn: d.getUrn() }));
    } finally {
      client.close();
    }
  } finally {
    await plugin.stop();
  }
}
