/**
 * The program's look at the legacy stream before a phase that retires it: the engine does not
 * ask a provider about a delete in a preview, so without it a preview would show a delete that
 * the provider then refuses. With it, the preview keeps the stream and warns why. Reading only;
 * when the server can not be reached (or the connection is not known yet) it says nothing and
 * the provider's delete still refuses what it must.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/stack-config";
import { closeConnections, ERR, manager } from "../jetstream/client";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { within } from "../poll";
import { readOrGone } from "../providers/jetstream-resource";
import { retirementHold } from "../providers/retirement";

/** How long the program waits for the server before it leaves the judgement to the provider. */
export const LOOK_TIMEOUT_MS = 10_000;

/** An output's value when it is known now (config, or state of unchanged resources), else undefined. */
async function knownValue<T>(o: pulumi.Output<T>): Promise<T | undefined> {
  if (!(await (o as unknown as { isKnown: Promise<boolean> }).isKnown)) return undefined;
  return new Promise<T>((resolve) => o.apply((v) => (resolve(v), v)));
}

/** Why the legacy stream may not be retired yet, or undefined (it may, it is gone, or there was no way to look). */
export async function legacyRetirementHold(c: StackConfig, connection: pulumi.Output<ConnectionArgs>): Promise<string | undefined> {
  const conn = await knownValue(connection);
  if (!conn) return undefined;
  const look = async () => {
    const jsm = await manager(conn);
    const live = await readOrGone(`stream ${c.streams.legacy}: read`, conn, [ERR.STREAM_NOT_FOUND], () => jsm.streams.info(c.streams.legacy));
    if (!live) return undefined;
    return (await retirementHold(jsm, live, { quietPeriod: c.retention.legacyQuietPeriod, deleteWhenDrained: true }, conn))?.reason;
  };
  try {
    return await within(LOOK_TIMEOUT_MS, look());
  } finally {
    // The program's own connection: closed, so that nothing keeps the program running.
    await closeConnections();
  }
}
