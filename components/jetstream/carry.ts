/**
 * Messages that follow their subjects back. A stream that captured subjects for a while (a phase
 * step whose durable move was refused, then stepped back) may hold messages on them that no
 * durable there will ever read, while the stream the subjects go back to has the durable that
 * would have read them. The take that gives the subjects back marks those messages on the holder
 * (a metadata key, written in the same update that removes the subjects, so a kill after it
 * finds the mark), and the claimant, once it captures the subjects again, publishes a copy of
 * each to itself and clears the mark. Each copy carries a message id made of the holder and its
 * sequence: a rerun inside the claimant's duplicate window stores nothing twice.
 */
import { subjectsCollide } from "./subjects";

/** The metadata key of the marks on a holder; never compared as configuration, never shown in outputs. */
export const CARRY_KEY = "event-bus.carry";

/** Per claimant stream, per subject given to it: the holder's messages after `after` up to `through` are to be copied to it. */
export type Carries = Record<string, Record<string, { after: number; through: number }>>;

/** The header naming where a copied message was stored first (`<stream>:<sequence>`). */
export const CARRIED_FROM_HEADER = "Event-Bus-Carried-From";

/** The message id of the copy of `holder`'s message `seq`: the claimant's duplicate window drops a second copy. */
export const carryMsgId = (holder: string, seq: number) => `event-bus-carry:${holder}:${seq}`;

/** Whether any durable with these filter lists reads `subject` (a durable with no filter reads everything). */
const readBy = (subject: string, durables: ReadonlyArray<readonly string[]>) => durables.some((filters) => filters.length === 0 || filters.some((f) => subjectsCollide(f, subject)));

/**
 * What a take marks on a holder for the claimant: each subject given that no durable on the holder
 * reads, that a durable on the claimant reads, and on which the holder stored messages after its
 * claim (`claims`; a subject with none known is never carried: that would copy history). `stored`
 * is what the holder stored per subject after its claim (undefined: nothing). Pure.
 */
export function carriesFor(
  give: readonly string[],
  claims: Record<string, number>,
  lastSeq: number,
  holderDurables: ReadonlyArray<readonly string[]>,
  claimantDurables: ReadonlyArray<readonly string[]>,
  stored: (subject: string) => boolean,
): Record<string, { after: number; through: number }> {
  const out: Record<string, { after: number; through: number }> = {};
  for (const s of give) {
    const after = claims[s];
    if (after === undefined || after >= lastSeq) continue;
    if (readBy(s, holderDurables) || !readBy(s, claimantDurables) || !stored(s)) continue;
    out[s] = { after, through: lastSeq };
  }
  return out;
}

/** The marks a live configuration carries (none when its metadata has none, or unreadable ones). */
export function carriesOf(live: { metadata?: Record<string, string> }): Carries {
  const text = live.metadata?.[CARRY_KEY];
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    const out: Carries = {};
    for (const [to, subjects] of Object.entries(parsed as Record<string, unknown>)) {
      if (!subjects || typeof subjects !== "object") continue;
      for (const [s, r] of Object.entries(subjects as Record<string, unknown>)) {
        const { after, through } = (r ?? {}) as { after?: unknown; through?: unknown };
        if (Number.isSafeInteger(after) && Number.isSafeInteger(through) && (after as number) >= 0 && (through as number) > (after as number)) {
          (out[to] ??= {})[s] = { after: after as number, through: through as number };
        }
      }
    }
    return out;
  } catch {
    return {};
  }
}

/** A wire configuration carrying `carries` (the key left out when there are none), beside the user's own metadata. */
export function withCarries<W extends { metadata?: Record<string, string> }>(wire: W, carries: Carries): W {
  const { [CARRY_KEY]: _old, ...rest } = wire.metadata ?? {};
  const kept = Object.fromEntries(Object.entries(carries).filter(([, subjects]) => Object.keys(subjects).length > 0));
  return { ...wire, metadata: Object.keys(kept).length ? { ...rest, [CARRY_KEY]: JSON.stringify(kept) } : rest };
}

/** `carries` with `more` for `to` added. */
export const addCarries = (carries: Carries, to: string, more: Carries[string]): Carries => (Object.keys(more).length ? { ...carries, [to]: { ...(carries[to] ?? {}), ...more } } : carries);

/** `carries` without the subjects `subjects` for `to` (copied, or given back to the holder). */
export function withoutCarries(carries: Carries, to: string, subjects: readonly string[]): Carries {
  if (!carries[to]) return carries;
  const rest = Object.fromEntries(Object.entries(carries[to]).filter(([s]) => !subjects.includes(s)));
  const { [to]: _gone, ...others } = carries;
  return Object.keys(rest).length ? { ...others, [to]: rest } : others;
}
