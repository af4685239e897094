/**
 * Where a stream claimed each subject it captures: the sequence it had reached just before it
 * began to capture it (0: since its creation). A durable that moves onto the stream starts right
 * after it, so it skips nothing the subject sent there and repeats nothing an earlier incarnation
 * processed. The claims are written onto the server with the subjects they are for, in the same
 * update (a metadata key, like the owner stamp), so an `up` killed after the claim, run again,
 * still finds where the claim happened: the engine's state never saw that update.
 */

/** Per captured subject, the stream sequence reached before the stream claimed it. */
export type Claims = Record<string, number>;

/** The metadata key of the claims; never compared as configuration, never shown in outputs. */
export const CLAIMS_KEY = "event-bus.claims";

/**
 * Claims after a change of subjects: subjects kept keep their claim; subjects new to the stream
 * are claimed at `lastSeq`, the sequence the stream had reached before the change. A kept subject
 * with no claim known (state and server of an earlier release) stays unclaimed: never taken as 0,
 * which would replay the whole stream; `unclaimed` lists it and the provider recovers it.
 */
export function nextClaims(previous: Claims | undefined, before: readonly string[], after: readonly string[], lastSeq: number): Claims {
  const claims: Claims = {};
  for (const s of after) {
    const claim = before.includes(s) ? previous?.[s] : lastSeq;
    if (claim !== undefined) claims[s] = claim;
  }
  return claims;
}

/**
 * Claims of a stream the stack did not make (taken over): a subject with no claim of its own has
 * been captured since the stream's creation (0), as its maker set it up. Only for such streams: a
 * stream of the stack's own with a claim missing has it recovered (`recoveredClaim`).
 */
export const takenOverClaims = (claims: Claims, captured: readonly string[]): Claims => Object.fromEntries(captured.map((s) => [s, claims[s] ?? 0]));

/**
 * The claims to trust for what a live stream captures (`captured`), given what the state recorded
 * when the provider last changed the stream (the subjects it captured then, their claims, and the
 * stream's last sequence then) and the claims written on the server:
 * - a subject the state knew the stream captured keeps the state's claim: the server's copy may be
 *   a hand edit, another stack's write, or a claim left behind when the subject was given away;
 * - a subject captured since (an `up` killed after its claim, or a hand edit such as the seeds'
 *   rollback) takes the server's claim only when that claim was written after the state (at or
 *   past its last sequence); otherwise it is left to be recovered from what the stream stored
 *   after the state's last sequence (`unclaimedAfter`): before that, the stream did not capture it
 *   for this stack, and what it held there was another incarnation's.
 * State of an earlier release (no last sequence recorded) trusts the server's claims, as that
 * release did. `released`: where the stream gave each subject away (RELEASED_KEY), for a subject
 * captured again since. Pure.
 */
export function trustedClaims(
  state: { captured: readonly string[]; claims: Claims; lastSeq?: number },
  server: Claims,
  captured: readonly string[],
  released: Claims = {},
): { claims: Claims; unclaimedAfter: Record<string, number> } {
  const claims: Claims = {};
  const unclaimedAfter: Record<string, number> = {};
  for (const s of captured) {
    const known = state.captured.includes(s);
    const claim =
      state.lastSeq === undefined
        ? (server[s] ?? state.claims[s])
        : known
          ? (state.claims[s] ?? server[s])
          : server[s] !== undefined && server[s] >= state.lastSeq
            ? server[s]
            : undefined;
    if (claim !== undefined) claims[s] = claim;
    // Captured since the state: searched for after the state's last sequence, and after where the
    // stream gave the subject away (released), since it kept capturing it for the claimant until then.
    else unclaimedAfter[s] = known || state.lastSeq === undefined ? 0 : Math.max(state.lastSeq, released[s] ?? 0);
  }
  return { claims, unclaimedAfter };
}

/** The captured subjects with no claim known. */
export const unclaimed = (claims: Claims, captured: readonly string[]): string[] => captured.filter((s) => claims[s] === undefined);

/**
 * A claim recovered from what the stream holds: just before the first message it still holds on
 * the subject (past the sequence the search started after; nothing it holds there is skipped, and
 * nothing before it replayed), or its last sequence when it holds none there (`firstSeq` undefined).
 */
export const recoveredClaim = (firstSeq: number | undefined, lastSeq: number): number => (firstSeq === undefined ? lastSeq : Math.max(0, firstSeq - 1));

/**
 * The claims a live configuration carries (none when its metadata has none, or unreadable ones);
 * none beyond `lastSeq`, the stream's last sequence (a claim edited by hand past it would make a
 * durable skip what arrives).
 */
export function claimsOf(live: { metadata?: Record<string, string> }, lastSeq = Number.MAX_SAFE_INTEGER): Claims {
  const text = live.metadata?.[CLAIMS_KEY];
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter(([, v]) => Number.isSafeInteger(v) && (v as number) >= 0).map(([k, v]) => [k, Math.min(v as number, lastSeq)])) as Claims;
  } catch {
    return {};
  }
}

/** A wire configuration carrying the claims, beside the user's own metadata. */
export function withClaims<W extends { metadata?: Record<string, string> }>(wire: W, claims: Claims): W {
  return { ...wire, metadata: { ...(wire.metadata ?? {}), [CLAIMS_KEY]: JSON.stringify(claims) } };
}

/** Only the claims of the subjects a stream captures (those known). */
export const claimsFor = (claims: Claims, captured: readonly string[]): Claims => Object.fromEntries(captured.filter((s) => claims[s] !== undefined).map((s) => [s, claims[s]]));

/**
 * The metadata key where a stream that gave subjects away to another (a take) records, per subject,
 * its last sequence right after it stopped capturing it. A releasing stream keeps its subjects for
 * the claimant after its own update (its state's last sequence), so messages can still arrive there
 * until the take; were the subject given back by hand one day, a claim recovered from the state's
 * last sequence would replay them. Never compared as configuration, never shown in outputs.
 */
export const RELEASED_KEY = "event-bus.released";

/** The release points a live configuration carries (none beyond `lastSeq`). */
export const releasedOf = (live: { metadata?: Record<string, string> }, lastSeq = Number.MAX_SAFE_INTEGER): Claims =>
  claimsOf({ metadata: live.metadata?.[RELEASED_KEY] ? { [CLAIMS_KEY]: live.metadata[RELEASED_KEY] } : {} }, lastSeq);

/** A wire configuration carrying the release points, beside the user's own metadata. */
export function withReleased<W extends { metadata?: Record<string, string> }>(wire: W, released: Claims): W {
  return { ...wire, metadata: { ...(wire.metadata ?? {}), [RELEASED_KEY]: JSON.stringify(released) } };
}
