/**
 * The durables of a stream recreated by an update (an allowed replace), kept on the new stream
 * until each is made again. The server deletes a stream's consumers with it; the provider writes
 * their configurations into the new stream's metadata in the create itself, makes each again, and
 * then clears the key. An `up` killed (or failed) in between finds them there on the rerun.
 */
import type { ConsumerConfig } from "@nats-io/jetstream";

/** The metadata key; never compared as configuration, never shown in outputs. */
export const RECREATE_KEY = "event-bus.recreate-durables";

/** The durables a live stream still has to get back (none when the key is absent or unreadable). */
export function durablesToRecreate(live: { metadata?: Record<string, string> }): Array<Partial<ConsumerConfig>> {
  const text = live.metadata?.[RECREATE_KEY];
  if (!text) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.filter((d): d is Partial<ConsumerConfig> => !!d && typeof d === "object" && typeof (d as ConsumerConfig).durable_name === "string") : [];
  } catch {
    return [];
  }
}

/** A wire configuration carrying the durables to make again (the key left out when there are none). */
export function withDurablesToRecreate<W extends { metadata?: Record<string, string> }>(wire: W, durables: ReadonlyArray<Partial<ConsumerConfig>>): W {
  const { [RECREATE_KEY]: _old, ...rest } = wire.metadata ?? {};
  return { ...wire, metadata: durables.length ? { ...rest, [RECREATE_KEY]: JSON.stringify(durables) } : rest };
}
