/**
 * Runs a provider the way the Pulumi engine does: serialised exactly as pulumi.dynamic.Resource
 * serialises it, loaded by @pulumi/pulumi's own dynamic-provider host in a separate node
 * process, and driven over gRPC. The host process is stopped by its PID.
 */
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { providerOf, type ProviderEntry } from "../../components/providers/provider-package";
import { startPlugin, type PluginProcess } from "../../scripts/lib/plugin-process";
import { forgetPid, recordPid } from "./pid-ledger";
import { REPO_ROOT } from "./nats-servers";

/* eslint-disable @typescript-eslint/no-require-imports */
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");

export const HOST_SCRIPT = require.resolve("@pulumi/pulumi/cmd/dynamic-provider");
/** Serialises a provider entry as dynamic.Resource does, from the built package the program loads (npm run build). */
export async function serializeCompiledProvider(entry: ProviderEntry): Promise<string> {
  const provider: dynamic.ResourceProvider = providerOf(entry);
  const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return sf.text;
}

export interface GrpcError extends Error {
  details: string;
}

type Props = Record<string, unknown>;

/** One dynamic-provider host process; like the engine's, it serves every dynamic resource type. */
export class ProviderHost {
  private constructor(
    private readonly plugin: PluginProcess,
    private readonly client: grpc.Client & Record<string, Function>,
  ) {}

  /** Starts the host with the project directory as its working directory, as the engine does. */
  static async start(): Promise<ProviderHost> {
    const plugin = await startPlugin("dynamic-provider host", [HOST_SCRIPT, "127.0.0.1:1"], REPO_ROOT);
    recordPid(plugin.child.pid!);
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${plugin.port}`, grpc.credentials.createInsecure());
    const host = new ProviderHost(plugin, client);
    await host.call("configure", new provproto.ConfigureRequest().setArgs(structproto.Struct.fromJavaScript({})));
    return host;
  }

  /** A client for one serialised provider, sent along with every request as the engine does. */
  provider(providerText: string): HostedProvider {
    return new HostedProvider((method, request) => this.call(method, request), providerText);
  }

  pid(): number {
    return this.plugin.child.pid!;
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.plugin.stop();
    forgetPid(this.pid());
  }

  private call<T>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client[method](request, (err: GrpcError | null, res: T) => (err ? reject(err) : resolve(res)));
    });
  }
}

export class HostedProvider {
  constructor(
    private readonly call: <T>(method: string, request: unknown) => Promise<T>,
    readonly providerText: string,
  ) {}

  private struct(props: Props): unknown {
    return structproto.Struct.fromJavaScript({ ...props, __provider: this.providerText });
  }

  async check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: Array<{ property: string; reason: string }> }> {
    const res = await this.call<any>("check", new provproto.CheckRequest().setUrn(urn).setOlds(this.struct(olds)).setNews(this.struct(news)));
    return {
      inputs: res.getInputs().toJavaScript(),
      failures: res.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(urn: string, id: string, olds: Props, news: Props): Promise<{ changes: "none" | "some" | "unknown"; replaces: string[]; deleteBeforeReplace: boolean }> {
    const res = await this.call<any>("diff", new provproto.DiffRequest().setUrn(urn).setId(id).setOlds(this.struct(olds)).setNews(this.struct(news)));
    const kinds = provproto.DiffResponse.DiffChanges;
    const c = res.getChanges();
    return {
      changes: c === kinds.DIFF_SOME ? "some" : c === kinds.DIFF_NONE ? "none" : "unknown",
      replaces: res.getReplacesList(),
      deleteBeforeReplace: res.getDeletebeforereplace(),
    };
  }

  async create(urn: string, props: Props): Promise<{ id: string; outs: Props }> {
    const res = await this.call<any>("create", new provproto.CreateRequest().setUrn(urn).setProperties(this.struct(props)));
    return { id: res.getId(), outs: res.getProperties().toJavaScript() };
  }

  async read(urn: string, id: string, props: Props): Promise<{ id: string; outs: Props }> {
    const res = await this.call<any>("read", new provproto.ReadRequest().setUrn(urn).setId(id).setProperties(this.struct(props)));
    return { id: res.getId(), outs: res.getProperties()?.toJavaScript() ?? {} };
  }

  async update(urn: string, id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
    const res = await this.call<any>("update", new provproto.UpdateRequest().setUrn(urn).setId(id).setOlds(this.struct(olds)).setNews(this.struct(news)));
    return { outs: res.getProperties().toJavaScript() };
  }

  async delete(urn: string, id: string, props: Props): Promise<void> {
    await this.call("delete", new provproto.DeleteRequest().setUrn(urn).setId(id).setProperties(this.struct(props)));
  }
}
