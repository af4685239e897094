/**
 * The program's look at the bus, and at the legacy stream before a phase that retires it: the engine does not
 * ask a provider about a delete in a preview, so without it a preview would show a delete that
 * the provider then refuses. With it, the preview keeps the stream and warns why. Reading only;
 * when the server can not be reached (or the connection is not known yet) it says nothing and
 * the provider's delete still refuses what it must.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StreamInfo } from "@nats-io/jetstream";
import type { StackConfig } from "../config/stack-config";
import { closeConnections, ERR, manager } from "../jetstream/client";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { within } from "../poll";
import { readOrGone } from "../providers/jetstream-resource";
import { retirementHold } from "../providers/retirement";
import { CATALOGUE, STREAM_ROLES, type StreamRole } from "./catalogue";
import { livePhases, type LiveSubjects } from "./phase-step";

/** How long the program waits for the server before it leaves the judgement to the provider. */
export const LOOK_TIMEOUT_MS = 10_000;

/** An output's value when it is known now (config, or state of unchanged resources), else undefined. */
export async function knownValue<T>(o: pulumi.Output<T>): Promise<T | undefined> {
  if (!(await (o as unknown as { isKnown: Promise<boolean> }).isKnown)) return undefined;
  return new Promise<T>((resolve) => o.apply((v) => (resolve(v), v)));
}

/** What the program saw of the bus before planning. */
export interface BusLook {
  /** "seen": it answered; "unknown": its cluster or credentials are made by this very update; "unreachable": no answer in time, or a refused sign-in. */
  seen: "seen" | "unknown" | "unreachable";
  /** Why the legacy stream may not be retired yet (only looked at in a phase that retires it). */
  legacyHold?: string;
  /** What `event-bus:forceDelete` retires although it would be held. */
  forcedRetirement?: string;
  /** The phases what the streams capture matches ("fresh": none of them exists). */
  phases?: number[] | "fresh";
  /** Why the servers refused the look's sign-in, when they did. */
  refused?: string;
}

/**
 * The program's look at the bus: whether it answers at all (the providers' adoption looks and this
 * retirement look judge nothing without it), and, in a phase that retires the legacy stream,
 * whether that stream may go yet. Reading only.
 */
export async function lookAtBus(c: StackConfig, connection: pulumi.Output<ConnectionArgs>): Promise<BusLook> {
  const conn = await knownValue(connection);
  if (!conn) return { seen: "unknown" };
  const look = async (): Promise<BusLook> => {
    const jsm = await manager(conn);
    const streams: Partial<Record<StreamRole, StreamInfo>> = {};
    const subjects: LiveSubjects = {};
    for (const role of STREAM_ROLES) {
      const si = await readOrGone(`stream ${c.streams[role]}: read`, conn, [ERR.STREAM_NOT_FOUND], () => jsm.streams.info(c.streams[role]));
      if (si) [streams[role], subjects[role]] = [si, si.config.subjects ?? []];
    }
    const phases = livePhases(subjects, c.streams);
    const live = streams.legacy;
    if (c.migrationPhase < CATALOGUE.retirePhase || !live) return { seen: "seen", phases };
    const hold = await retirementHold(jsm, live, { quietPeriod: c.retention.legacyQuietPeriod, deleteWhenDrained: true }, conn);
    // forceDelete retires it now, as the provider's delete does with it.
    if (hold && c.forceDelete) return { seen: "seen", phases, forcedRetirement: hold.reason };
    return { seen: "seen", phases, ...(hold ? { legacyHold: hold.reason } : {}) };
  };
  try {
    // A refused sign-in is said as such (a password the servers do not know yet), not as silence.
    let refused: string | undefined;
    const looked = look().catch((e: Error) => {
      if (/authorization|authentication|permissions violation/i.test(e.message)) refused = e.message;
      throw e;
    });
    return (await within(LOOK_TIMEOUT_MS, looked)) ?? { seen: "unreachable", ...(refused ? { refused } : {}) };
  } finally {
    // The program's own connection: closed, so that nothing keeps the program running.
    await closeConnections();
  }
}

/** What a look that did not see the bus means for this plan, for the stack's warning (or error). */
export function unseenWarning(look: BusLook, servers: readonly string[]): string | undefined {
  if (look.seen === "seen") return undefined;
  const why =
    look.seen === "unknown"
      ? "its NATS cluster or its credentials are made by this update"
      : look.refused
        ? `${servers.join(", ")} refused the sign-in: ${look.refused}`
        : `no answer from ${servers.join(", ")}, waited up to ${LOOK_TIMEOUT_MS / 1000} s`;
  return `the bus was not looked at (${why}): streams and durables that already exist were not compared with the stack (adoption), the step from the live migration phase was not checked, and the legacy stream's retirement was not judged; the providers judge adoption and retirement again when they apply`;
}
