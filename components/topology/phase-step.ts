/**
 * Which phase the live bus is in, read from what its streams capture, and whether a `pulumi up`
 * may go from there to the stack's phase: one phase per `up`, so that each step gets the seeds'
 * soak before the next, unless `event-bus:allowPhaseJump` says otherwise. A fresh bus (none of the
 * catalogue's streams) may start at any phase; a live bus made by hand (the legacy stream
 * capturing everything) is in phase 0.
 */
import { CATALOGUE, subjectsByPhase, type Catalogue, type StreamRole } from "./catalogue";

/** What each catalogue stream captures on the server; a role left out has no stream there. */
export type LiveSubjects = Partial<Record<StreamRole, readonly string[]>>;

/** The roles whose subjects tell the phases apart (the dead-letter stream's never change). */
const TELLING: readonly StreamRole[] = ["legacy", "core", "vendor"];

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((s) => b.includes(s));

/**
 * The phases whose subjects the live streams capture: "fresh" when none of them exists; empty
 * when they match no phase (changed by hand). A stream that is missing matches a phase where it
 * captures nothing. Phases 2 and 3 differ only in the legacy stream's retirement, which may be
 * held, so both can match.
 */
export function livePhases(live: LiveSubjects, streamNames: Record<StreamRole, string>, catalogue: Catalogue = CATALOGUE): number[] | "fresh" {
  if (TELLING.every((role) => live[role] === undefined)) return "fresh";
  const phases: number[] = [];
  for (let phase = 0; phase <= catalogue.retirePhase; phase++) {
    const wanted = subjectsByPhase(phase, catalogue);
    const matches = TELLING.every((role) => {
      const subjects = live[role];
      if (subjects === undefined) return wanted[role].length === 0;
      // A stream without subjects captures its own name only: that is capturing nothing of ours.
      return sameSet(subjects.filter((s) => s !== streamNames[role]), wanted[role]);
    });
    if (matches) phases.push(phase);
  }
  return phases;
}

/** What the step from the live phases to `target` means: an error (a jump), a warning (not judged), or nothing. */
export function judgePhaseStep(live: number[] | "fresh" | undefined, target: number, allowJump: boolean): { error?: string; warning?: string } {
  if (live === undefined || live === "fresh") return {};
  if (live.length === 0) {
    return { warning: `what the streams capture matches no migration phase (changed by hand?): the step to phase ${target} was not checked` };
  }
  const from = live.reduce((best, p) => (Math.abs(p - target) < Math.abs(best - target) ? p : best));
  if (Math.abs(from - target) <= 1 || allowJump) return {};
  const between = target > from ? `phases ${from + 1} to ${target - 1}` : `phases ${from - 1} to ${target + 1}`;
  return {
    error:
      `the bus is in phase ${live.join(" or ")} (what its streams capture), and ${target} is more than one phase away: ` +
      `one \`pulumi up\` moves one phase, so that each gets its soak. Go through ${between.replace(/phases (\d) to \1/, "phase $1")} first, ` +
      `or set event-bus:allowPhaseJump to "true" for this up`,
  };
}
