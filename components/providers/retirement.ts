/**
 * When a retiring stream may be deleted: after its quiet period without a message, and once
 * nothing on it is undelivered. One judgement for the Stream provider's delete (which refuses)
 * and for the program (which keeps the stream in a preview and says why: components/stack.ts).
 */
import type { JetStreamManager, StreamInfo } from "@nats-io/jetstream";
import { withRetry } from "../jetstream/client";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { parseDuration } from "../jetstream/durations";

export interface RetirementRules {
  /** Delete only after this long without a message. */
  quietPeriod?: string;
  /** Delete a stream that holds messages once its consumers have drained it. */
  deleteWhenDrained?: boolean;
}

/** Why the stream must stay, by kind: still receiving, holding undelivered messages, or holding messages at all. */
export type RetirementHold = { kind: "quiet" | "undrained" | "holds"; reason: string };

/** When a retiring stream's quiet period ends: its last message's time plus the period (a stream that never held one is quiet). */
export function quietUntil(live: Pick<StreamInfo, "state">, quietPeriod: string): { last: string; until: number } | undefined {
  const last = live.state.last_seq > 0 ? live.state.last_ts : undefined;
  const period = parseDuration(quietPeriod);
  if (!last || !("nanos" in period)) return undefined;
  return { last, until: Date.parse(last) + period.nanos / 1e6 };
}

/** Consumers on the stream that still have messages to deliver or acknowledge, described. */
export async function undrainedConsumers(jsm: JetStreamManager, stream: string, c: ConnectionArgs): Promise<string[]> {
  return withRetry(`stream ${stream}: list consumers`, c, async () => {
    const out: string[] = [];
    for await (const ci of jsm.consumers.list(stream)) {
      if (ci.num_pending + ci.num_ack_pending > 0) out.push(`${ci.name}: ${ci.num_pending} undelivered, ${ci.num_ack_pending} unacknowledged`);
    }
    return out;
  });
}

/** Why the live stream may not be deleted now under these rules, or undefined. */
export async function retirementHold(jsm: JetStreamManager, live: StreamInfo, rules: RetirementRules, c: ConnectionArgs, now = Date.now()): Promise<RetirementHold | undefined> {
  const name = live.config.name;
  const quiet = rules.quietPeriod ? quietUntil(live, rules.quietPeriod) : undefined;
  if (quiet && quiet.until > now) {
    return {
      kind: "quiet",
      reason: `stream ${name}: received its last message at ${quiet.last}; it is retired only after ${rules.quietPeriod} without one (not before ${new Date(quiet.until).toISOString()})`,
    };
  }
  const { messages, bytes } = live.state;
  if (messages === 0) return undefined;
  if (!rules.deleteWhenDrained) return { kind: "holds", reason: `stream ${name}: holds ${messages} messages (${bytes} bytes)` };
  const undrained = await undrainedConsumers(jsm, name, c);
  if (undrained.length) return { kind: "undrained", reason: `stream ${name}: holds ${messages} messages and its consumers have not drained it (${undrained.join(", ")})` };
  return undefined;
}
