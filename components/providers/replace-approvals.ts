/**
 * Replacements the user allowed, remembered between Diff and Delete in one provider process.
 * The engine deletes with the OLD state, which predates `allowReplace: true`; this lets the
 * delete of a planned, allowed replacement go ahead while every other delete of a stream
 * that still holds messages is refused. An approval is used once and expires: one `pulumi up`
 * diffs and then deletes within minutes.
 */
const KEY = Symbol.for("event-bus.replace-approvals");
export const APPROVAL_TTL_MS = 15 * 60_000;

function approvals(): Map<string, number> {
  const g = globalThis as unknown as Record<symbol, Map<string, number> | undefined>;
  return (g[KEY] ??= new Map<string, number>());
}

export function approveReplace(id: string): void {
  approvals().set(id, Date.now() + APPROVAL_TTL_MS);
}

/** True once per live approval: the delete that consumes it is the replacement's. */
export function takeReplaceApproval(id: string): boolean {
  const until = approvals().get(id);
  approvals().delete(id);
  return until !== undefined && until > Date.now();
}

/** Forgets every approval (a new engine run starts with none). */
export function clearReplaceApprovals(): void {
  approvals().clear();
}
