/**
 * Every message processed once, whatever the sequence of steps (issue 28), as a property: random
 * sequences of steps run through the real engine against a real server, while a publisher and a
 * reader run the whole time:
 * - a phase step up or down (0, 1, 2), in multi mode; every step changes the phase or the mode;
 * - a mode flip at phase 0 (single and multi; elsewhere a step down);
 * - the seeds' rollback by hand at phase 2 (elsewhere a step up) (`nats stream edit`, as their runbook does it), then
 *   the stack file back at phase 1 and `pulumi up` (RUNBOOK, "the bus was changed by hand");
 * - a phase step whose `pulumi up` is SIGKILLed after a random delay, then `pulumi cancel` and
 *   the same up once more (which must succeed, as the README promises);
 * - a second stack's `up` on the same bus, which must be refused and change nothing.
 * The publisher publishes HRV events as ingest does, retrying a refusal with the same message id.
 * The reader is normalize-service's pull loop: it binds where the seeds' code binds (multi: the
 * hot stream's durable, else the legacy one; single: the legacy one), acknowledges each event
 * after processing it, and binds again only when its durable is gone (a pod started again by the
 * roll that follows every move). At the end of each sequence every stored event was processed
 * exactly once.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import fc from "fast-check";
import { jetstream, type Consumer } from "@nats-io/jetstream";
import { poll, sleep } from "../../components/poll";
import { useStacksOnOneServer, type EngineStack } from "../helpers/engine";
import { NATS_CLI_BIN } from "../helpers/nats-servers";
import { descendants, isAlive } from "../helpers/pid-ledger";

const HRV = "athlete-ally.hrv.raw-received";
const DURABLE = "normalize-hrv-durable";
const LEGACY = "ATHLETE_ALLY_EVENTS";
const CORE = "AA_CORE_HOT";

type Step =
  | { kind: "phase"; up: boolean }
  | { kind: "mode" }
  | { kind: "hand-rollback" }
  | { kind: "killed-up"; up: boolean; afterMs: number }
  | { kind: "second-stack" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.boolean().map((up): Step => ({ kind: "phase", up })) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: "mode" }) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: "hand-rollback" }) },
  { weight: 2, arbitrary: fc.record({ up: fc.boolean(), afterMs: fc.integer({ min: 200, max: 2_500 }) }).map((r): Step => ({ kind: "killed-up", ...r })) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: "second-stack" }) },
);

describe("engine - every message processed once through random sequences of steps (property)", () => {
  const live = useStacksOnOneServer({ local: { overrides: { migrationPhase: 0 } }, second: { from: "local", overrides: { migrationPhase: 0 } } });
  let server: { url: string };
  let admin: typeof live.admin;
  let stack: EngineStack;
  let second: EngineStack;
  /** The stack file's phase and mode, as the steps leave them. */
  const model = { phase: 0, mode: "multi" as "multi" | "single" };

  beforeAll(async () => {
    ({ server, admin } = live);
    ({ local: stack, second } = live.stacks);
    await stack.ok(["up", "--yes", "--skip-preview"]);
  }, 120_000);

  const configure = async () => {
    await stack.ok(["config", "set", "event-bus:migrationPhase", String(model.phase)]);
    await stack.ok(["config", "set", "event-bus:mode", model.mode]);
  };
  const nats = (...args: string[]) => execFileSync(NATS_CLI_BIN, ["--server", server.url, ...args], { stdio: "pipe" });
  /** Every stream's and durable's configuration on the bus (what a refused step must leave as it was). */
  const busNow = async () => {
    const out: Record<string, unknown> = {};
    for await (const si of admin.jsm.streams.list()) {
      out[si.config.name] = si.config;
      for await (const ci of admin.jsm.consumers.list(si.config.name)) out[`${si.config.name}/${ci.name}`] = ci.config;
    }
    return out;
  };

  /** Runs one step; returns what it did, for the failure's report. */
  async function run(step: Step): Promise<string> {
    // Always a change of phase: from 0 and 2 the only way there is, from 1 the way the step says.
    const target = (up: boolean) => (model.phase === 0 ? 1 : model.phase === 2 ? 1 : up ? 2 : 0);
    switch (step.kind) {
      case "phase": {
        model.phase = target(step.up);
        model.mode = "multi";
        await configure();
        await stack.ok(["up", "--yes", "--skip-preview"]);
        return `up to phase ${model.phase}`;
      }
      case "mode": {
        if (model.phase !== 0) return run({ kind: "phase", up: false });
        model.mode = model.mode === "multi" ? "single" : "multi";
        await configure();
        await stack.ok(["up", "--yes", "--skip-preview"]);
        return `mode ${model.mode}`;
      }
      case "hand-rollback": {
        if (model.phase !== 2) return run({ kind: "phase", up: true });
        // The seeds' phase 2 rollback: the core subjects leave AA_CORE_HOT and go back to the legacy stream.
        nats("stream", "edit", CORE, "--subjects", CORE, "-f");
        nats("stream", "edit", LEGACY, "--subjects", "athlete-ally.>,sleep.*", "-f");
        await sleep(500);
        model.phase = 1;
        await configure();
        await stack.ok(["up", "--yes", "--skip-preview"]);
        return "hand rollback, then up to phase 1";
      }
      case "killed-up": {
        model.phase = target(step.up);
        model.mode = "multi";
        await configure();
        let cli: ChildProcess | undefined;
        let orphans: Array<{ pid: number; args: string }> = [];
        const timer = setTimeout(() => {
          if (!cli?.pid) return;
          orphans = descendants(cli.pid);
          process.kill(cli.pid, "SIGKILL");
        }, step.afterMs);
        const first = await stack.run(["up", "--yes", "--skip-preview"], { started: (child) => (cli = child) });
        clearTimeout(timer);
        // What the killed CLI had started ends itself (scripts/engine/engine-watch.ts); a minute at most.
        await poll({ timeoutMs: 60_000, intervalMs: 200 }, () => (orphans.every((o) => !isAlive(o.pid)) ? true : undefined));
        if (first.code === 0) return `up to phase ${model.phase} (ended before the kill at ${step.afterMs} ms)`;
        await stack.ok(["cancel", "--yes"]);
        await stack.ok(["up", "--yes", "--skip-preview"]);
        return `up to phase ${model.phase} killed at ${step.afterMs} ms, cancel, rerun`;
      }
      case "second-stack": {
        const before = await busNow();
        await second.ok(["config", "set", "event-bus:migrationPhase", String(model.phase)]);
        const r = await second.run(["up", "--yes", "--skip-preview"]);
        expect({ code: r.code === 0 ? 0 : 1, refusal: /belongs to Pulumi stack/.test(r.stdout + r.stderr) }).toEqual({ code: 1, refusal: true });
        expect(await busNow()).toEqual(before);
        return "a second stack's up, refused";
      }
    }
  }

  it("every stored event is processed exactly once after each sequence", async () => {
    let sequence = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 4, maxLength: 7 }), async (steps) => {
        sequence++;
        const stored = new Set<string>();
        const processed = new Map<string, number>();
        /** Where each event was read: stream, sequence, and the delivery when not the first. */
        const where: Record<string, string[]> = {};
        let publishing = true;
        let reading = true;
        const js = jetstream(admin.nc);
        // A publish refused (no stream captures the subject for a moment) is sent again with the same
        // message id. One that timed out may have been stored: it is not sent again, since the
        // message id only deduplicates within one stream and the subject may have moved meanwhile
        // (the seeds' hand rollback moves it with two edits); such an event is processed at most once.
        const uncertain = new Set<string>();
        const publisher = (async () => {
          for (let n = 0; publishing; n++) {
            const id = `s${sequence}-e${n}`;
            let timedOut = false;
            const ack = await poll({ timeoutMs: 30_000, intervalMs: 50 }, () =>
              js.publish(HRV, id, { msgID: id, timeout: 2_000 }).catch((e: Error) => {
                if (e.name === "TimeoutError") timedOut = true;
                return timedOut ? null : undefined;
              }),
            );
            if (ack) stored.add(id);
            else if (timedOut) uncertain.add(id);
            else throw new Error(`${id}: not stored within 30 s`);
            await sleep(40);
          }
        })();
        const reader = (async () => {
          while (reading) {
            const candidates = model.mode === "multi" ? [CORE, LEGACY] : [LEGACY];
            let consumer: Consumer | undefined;
            for (const s of candidates) {
              consumer = await js.consumers.get(s, DURABLE).catch(() => undefined);
              if (consumer) break;
            }
            if (!consumer) {
              await sleep(200);
              continue;
            }
            try {
              // Bound until the durable is gone: the seeds' service never looks again.
              while (reading) {
                for await (const m of await consumer.fetch({ max_messages: 10, expires: 1_000 })) {
                  processed.set(m.string(), (processed.get(m.string()) ?? 0) + 1);
                  (where[m.string()] ??= []).push(`${m.info.stream}:${m.info.streamSequence}${m.info.deliveryCount > 1 ? ` (delivery ${m.info.deliveryCount})` : ""}`);
                  await m.ackAck();
                }
                await (consumer.info(false) as Promise<unknown>);
              }
            } catch {
              await sleep(200);
            }
          }
        })();
        const done: string[] = [];
        try {
          for (const step of steps) {
            done.push(await run(step));
            await sleep(500);
          }
        } finally {
          publishing = false;
          await publisher;
        }
        const all = await poll({ timeoutMs: 60_000, intervalMs: 250 }, () => ([...stored].every((id) => processed.has(id)) ? true : undefined));
        await sleep(2_000); // a redelivery would show now
        reading = false;
        await reader;
        const missing = [...stored].filter((id) => !processed.has(id));
        const twice = [...processed].filter(([, n]) => n > 1).map(([id]) => `${id} read at ${where[id].join(", ")}`);
        const unknown = [...processed.keys()].filter((id) => id.startsWith(`s${sequence}-`) && !stored.has(id) && !uncertain.has(id));
        console.log(`every-message-once: sequence ${sequence}: ${done.join("; ")}; ${stored.size} stored (${uncertain.size} more timed out, not sent again), ${missing.length} not processed, ${twice.length} processed twice`);
        expect({ steps: done, all: all === true, missing, twice, unknown }).toEqual({ steps: done, all: true, missing: [], twice: [], unknown: [] });
      }),
      // EVENT_BUS_PROPERTY_SEED and EVENT_BUS_PROPERTY_PATH replay what a failure printed.
      { numRuns: 5, endOnFailure: true, verbose: true, ...(process.env.EVENT_BUS_PROPERTY_SEED ? { seed: Number(process.env.EVENT_BUS_PROPERTY_SEED), path: process.env.EVENT_BUS_PROPERTY_PATH } : {}) },
    );
  }, 1_200_000);
});
