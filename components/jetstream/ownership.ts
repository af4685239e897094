/**
 * Which Pulumi resource owns a stream or a durable on the server: a stamp in its metadata, new on
 * every create, kept in the resource's state. A replacement (`pulumi up --replace`), a resource
 * renamed without an alias, or another stack takes an identical stream or durable over as its own
 * and stamps it; the resource it was taken from then finds another stamp and leaves it alone,
 * instead of deleting what the new owner holds. One without a stamp (made by hand, by scripts or
 * by a release before stamps) belongs to whoever holds it in state.
 */
import { randomUUID } from "node:crypto";

/** The metadata key of the stamp; never compared as configuration, never shown in outputs. */
export const OWNER_KEY = "event-bus.owner";

/** A new owner stamp, for a resource that is being created. */
export const newOwner = (): string => randomUUID();

/** A wire configuration carrying the stamp, beside the user's own metadata. */
export function withOwner<W extends { metadata?: Record<string, string> }>(wire: W, owner: string): W {
  return { ...wire, metadata: { ...(wire.metadata ?? {}), [OWNER_KEY]: owner } };
}

/** The stamp on a live configuration, if any. */
export const ownerOf = (live: { metadata?: Record<string, string> }): string | undefined => live.metadata?.[OWNER_KEY];

/** Whether the resource whose state holds `stored` still owns the live one: unless it carries another resource's stamp. */
export function owns(stored: string | undefined, live: { metadata?: Record<string, string> }): boolean {
  const stamp = ownerOf(live);
  return stamp === undefined || stamp === stored;
}

/** The refusal of a change to something another resource has taken over. */
export function takenOver(what: string, stored: string | undefined, live: { metadata?: Record<string, string> }): Error {
  return new Error(
    `${what}: is owned by another Pulumi resource now (${OWNER_KEY} ${ownerOf(live)} on the server, ${stored ?? "none"} in this resource's state): ` +
      `a replacement, a resource renamed without an alias, or another stack took it over. Nothing was changed. ` +
      `If this stack should own it, remove this resource from the state (\`pulumi state delete <urn>\`) and run \`pulumi up\`, which takes it over again.`,
  );
}
