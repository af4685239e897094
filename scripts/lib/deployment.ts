/**
 * Runs a topology through the providers the way `pulumi up` does, where the Pulumi CLI is not
 * available (tests, and `npm run local` without it): check every input, then create or update (or replace) what the program
 * declares, each resource once its dependencies are done and independent ones in parallel, then
 * delete what it no longer declares, dependents first. State is kept between runs like a stack's.
 */
import type { ConnectionArgs } from "../../components/jetstream/connection-args";
import * as consumers from "../../components/providers/consumer-provider";
import * as streams from "../../components/providers/stream-provider";
import { consumerInputs, streamInputs, type Topology } from "../../components/topology/topology";

type Provider = {
  check: typeof streams.check;
  diff(id: string, olds: any, news: Record<string, unknown>): Promise<{ changes?: boolean; replaces?: string[] }>;
  create(inputs: Record<string, unknown>): Promise<{ id: string; outs?: any }>;
  update(id: string, olds: any, news: Record<string, unknown>): Promise<{ outs?: any }>;
  delete(id: string, props: any): Promise<void>;
};

const PROVIDERS: Record<"stream" | "consumer", Provider> = {
  stream: { check: streams.check, diff: streams.diff, create: streams.create, update: streams.updateStream, delete: streams.deleteStream },
  consumer: { check: consumers.check, diff: consumers.diff, create: consumers.create, update: consumers.updateConsumer, delete: consumers.deleteConsumer },
};

export interface Desired {
  name: string;
  kind: "stream" | "consumer";
  inputs: Record<string, unknown>;
  dependsOn: string[];
}

export interface StepRecord {
  name: string;
  op: "create" | "update" | "replace" | "delete" | "same";
  startedAt: number;
  endedAt: number;
}

export interface Stateful {
  kind: "stream" | "consumer";
  id: string;
  outs: Record<string, unknown>;
  dependsOn: string[];
}

/** The resources EventBusTopology registers, with the same inputs and dependencies. */
export function desiredOf(topology: Topology, connection: ConnectionArgs): Desired[] {
  const byRole = new Map(topology.streams.map((s) => [s.role, s.resourceName]));
  return [
    ...topology.streams.map((s) => ({ name: s.resourceName, kind: "stream" as const, inputs: { ...streamInputs(s), connection }, dependsOn: [] })),
    ...topology.consumers.map((c) => ({ name: c.resourceName, kind: "consumer" as const, inputs: { ...consumerInputs(c), connection }, dependsOn: [byRole.get(c.streamRole)!] })),
  ];
}

export class Deployment {
  readonly state: Map<string, Stateful>;

  constructor(state: Record<string, Stateful> = {}) {
    this.state = new Map(Object.entries(state));
  }

  /** The state to keep between runs (it holds the connection: keep it out of version control). */
  snapshot(): Record<string, Stateful> {
    return Object.fromEntries(this.state);
  }

  /** One `pulumi up`: returns what each resource did and when; throws the first failure after the rest settled. */
  async up(desired: Desired[]): Promise<StepRecord[]> {
    const records: StepRecord[] = [];
    for (const d of desired) {
      const r = await PROVIDERS[d.kind].check({}, d.inputs);
      if (r.failures?.length) throw new Error(`${d.name}: ${r.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    }
    const done = new Map<string, Promise<void>>();
    const failures: unknown[] = [];
    const run = (d: Desired): Promise<void> => {
      let p = done.get(d.name);
      if (p) return p;
      p = (async () => {
        await Promise.all(d.dependsOn.map((n) => run(desired.find((x) => x.name === n)!)));
        const provider = PROVIDERS[d.kind];
        const prior = this.state.get(d.name);
        const startedAt = Date.now();
        let op: StepRecord["op"] = "same";
        if (!prior) {
          const created = await provider.create(d.inputs);
          this.state.set(d.name, { kind: d.kind, id: created.id, outs: created.outs, dependsOn: d.dependsOn });
          op = "create";
        } else {
          const plan = await provider.diff(prior.id, prior.outs, d.inputs);
          if (plan.replaces?.length) {
            await provider.delete(prior.id, prior.outs);
            const created = await provider.create(d.inputs);
            this.state.set(d.name, { ...prior, id: created.id, outs: created.outs });
            op = "replace";
          } else if (plan.changes) {
            const updated = await provider.update(prior.id, prior.outs, d.inputs);
            this.state.set(d.name, { ...prior, outs: updated.outs, dependsOn: d.dependsOn });
            op = "update";
          }
        }
        records.push({ name: d.name, op, startedAt, endedAt: Date.now() });
      })().catch((e) => {
        failures.push(e);
        throw e;
      });
      done.set(d.name, p);
      return p;
    };
    await Promise.allSettled(desired.map(run));
    if (failures.length) throw failures[0];

    // Deletes last, dependents before what they depend on.
    const wanted = new Set(desired.map((d) => d.name));
    const doomed = [...this.state.entries()].filter(([n]) => !wanted.has(n));
    const order = [...doomed.filter(([, s]) => s.kind === "consumer"), ...doomed.filter(([, s]) => s.kind === "stream")];
    for (const [name, s] of order) {
      const startedAt = Date.now();
      await PROVIDERS[s.kind].delete(s.id, s.outs);
      this.state.delete(name);
      records.push({ name, op: "delete", startedAt, endedAt: Date.now() });
    }
    return records;
  }
}
