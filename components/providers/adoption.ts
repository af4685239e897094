/**
 * Taking over what already exists on the server (a live bus made by hand or by scripts) the
 * first time a stack creates it. It runs in the providers' `check`, which `pulumi preview` calls,
 * because the engine can not import dynamic-provider resources (pulumi/pulumi#16175):
 * - nothing there, or the same configuration: the create takes it over as it is (no change);
 * - a different configuration: the preview fails and lists every difference; nothing changes
 *   on any server. With `adoptExisting` (the stack file's `event-bus:adoptExisting: "true"`) the
 *   check passes, the preview shows the differences in the resource's `adopting` input, and the
 *   create updates the existing resource in place, keeping its messages and delivery state;
 * - a difference the server can not make in place is refused even then;
 * - one another Pulumi stack stamped is refused unless `adoptExisting` is set (ownership.ts).
 * A preview that can not reach the server (or does not know the connection yet) skips the look.
 */
import { describeChanges, type ConfigDiff } from "../jetstream/update-rules";
import type { CheckFailure } from "../jetstream/validation";
import { withoutUnknowns } from "../jetstream/validation";
import { within } from "../poll";
import { userInputs } from "./inputs";
import { ofAnotherStack } from "../jetstream/ownership";

/** What a look at the server found for a resource about to be created. */
export interface Existing {
  /** The differences, one readable line; empty when it is the same. */
  changes: string;
  /** Differences the server can not make in place. */
  replaces: string;
  /** The other Pulumi stack that stamped it (ownership.ts), if another did. */
  otherStack?: string;
}

/** What a diff of the live configuration against the wanted one says about taking it over. */
export function existingFrom(d: ConfigDiff): Existing {
  const replaces = [describeChanges(d.changes.filter((c) => c.kind === "replace")), ...d.blocked].filter(Boolean).join("; ");
  return { changes: describeChanges(d.changes), replaces };
}

/** How long a preview waits for the server before it leaves the look to the create. */
export const ADOPTION_LOOK_TIMEOUT_MS = 5_000;

/**
 * The check result for a resource: failures of its inputs first; then, for a create, what the
 * server already holds. `look` answers undefined when nothing of that name exists.
 */
export async function checkAdoption(
  what: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  failures: CheckFailure[],
  look: (inputs: Record<string, unknown>) => Promise<Existing | undefined>,
): Promise<{ inputs: Record<string, unknown>; failures: CheckFailure[] }> {
  const { adopting: _stale, ...inputs } = news;
  const creating = Object.keys(userInputs(olds ?? {})).length === 0;
  const known = withoutUnknowns(userInputs(inputs));
  if (failures.length || !creating || known.gaps.length) return { inputs, failures };
  const existing = await within(ADOPTION_LOOK_TIMEOUT_MS, look(known.value as Record<string, unknown>));
  if (existing?.otherStack && inputs.adoptExisting !== true) {
    return { inputs, failures: [{ property: "stack", reason: ofAnotherStack(what, existing.otherStack, String(inputs.stack), true).message }] };
  }
  if (!existing || !existing.changes) return { inputs, failures };
  if (existing.replaces) {
    return { inputs, failures: [{ property: "adoptExisting", reason: `${what}: already exists and can not be taken over: ${existing.replaces}` }] };
  }
  if (inputs.adoptExisting !== true) {
    return {
      inputs,
      failures: [
        {
          property: "adoptExisting",
          reason:
            `${what}: already exists on the server with a different configuration: ${existing.changes}. Nothing was changed. ` +
            `To take it over and make these changes in place (its messages and delivery state stay), set \`event-bus:adoptExisting: "true"\` in the stack file.`,
        },
      ],
    };
  }
  return { inputs: { ...inputs, adopting: existing.changes }, failures };
}
