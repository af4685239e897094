/** The metadata keys the providers write on the server (never compared as configuration, never the user's). */
import { CARRY_KEY } from "./carry";
import { CLAIMS_KEY, RELEASED_KEY } from "./claims";
import { OWNER_KEY, STACK_KEY } from "./ownership";
import { RECREATE_KEY } from "./recreated-durables";

export const PROVIDER_KEYS: readonly string[] = [OWNER_KEY, STACK_KEY, CLAIMS_KEY, RELEASED_KEY, CARRY_KEY, RECREATE_KEY];

/**
 * The keys another stream's take writes onto this one (what to copy to the claimant, where this one
 * released subjects): a stream's own write replaces its metadata whole, so it carries them over
 * from the live configuration.
 */
export const WRITTEN_BY_OTHERS: readonly string[] = [CARRY_KEY, RELEASED_KEY];

/** `wire` with the live values of the keys other streams write (those present). */
export function withWrittenByOthers<W extends { metadata?: Record<string, string> }>(wire: W, live: { metadata?: Record<string, string> } | undefined): W {
  const kept = Object.fromEntries(WRITTEN_BY_OTHERS.flatMap((k) => (live?.metadata?.[k] !== undefined ? [[k, live.metadata[k]]] : [])));
  return Object.keys(kept).length ? { ...wire, metadata: { ...(wire.metadata ?? {}), ...kept } } : wire;
}
