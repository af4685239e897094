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

/**
 * The metadata key of the stack stamp: the Pulumi stack (`<organization>/<project>/<stack>`) whose
 * resource owns it. Two stacks on one bus would hand subjects over between each other's streams
 * and overwrite each other's claims; a stack refuses to act on what another one stamped.
 */
export const STACK_KEY = "event-bus.stack";

/** The stack stamp on a live configuration, if any. */
export const stackOf = (live: { metadata?: Record<string, string> }): string | undefined => live.metadata?.[STACK_KEY];

/** The other stack a live configuration belongs to: its stamp, when both it and `ours` are known and differ. */
export function otherStack(ours: string | undefined, live: { metadata?: Record<string, string> }): string | undefined {
  const theirs = stackOf(live);
  return ours !== undefined && theirs !== undefined && theirs !== ours ? theirs : undefined;
}

/** The refusal to act on what another stack owns. */
export function ofAnotherStack(what: string, theirs: string, ours: string, adoptable: boolean): Error {
  return new Error(
    `${what}: belongs to Pulumi stack ${theirs} (${STACK_KEY} on the server), not to ${ours}: two stacks must not manage one bus's streams and durables (each would undo the other's hand-overs and claims). Nothing was changed. ` +
      (adoptable
        ? `Point this stack at a bus of its own (event-bus:nats.servers), or, to move it to this stack for good, set event-bus:adoptExisting to "true" and run \`pulumi up\` (the other stack then leaves it alone).`
        : `Point this stack at a bus of its own (event-bus:nats.servers).`),
  );
}

/** A new owner stamp, for a resource that is being created. */
export const newOwner = (): string => randomUUID();

/** A wire configuration carrying the stamp, beside the user's own metadata. */
export function withOwner<W extends { metadata?: Record<string, string> }>(wire: W, owner: string, stack?: string): W {
  return { ...wire, metadata: { ...(wire.metadata ?? {}), [OWNER_KEY]: owner, ...(stack ? { [STACK_KEY]: stack } : {}) } };
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
