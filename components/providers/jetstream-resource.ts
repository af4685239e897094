/**
 * What the Stream and Consumer providers share: connecting, reading a resource or learning it is
 * gone, refusing a replace the user did not allow, the diff over values not known yet, and where a
 * replacement happens.
 *
 * A replacement is approved by the inputs of the one call that carries it out, never by memory
 * shared between calls (the engine may diff and delete in different processes, and re-checks a
 * replacement's inputs as if nothing existed):
 * - a change the server refuses on the same resource (a stream's storage, a durable's deliver
 *   policy) is planned as an update; `check` names it in the inputs (`replacing`, shown by the
 *   preview), and `update`, which holds the old state and the new inputs with `allowReplace`,
 *   deletes and recreates the resource;
 * - a change of identity (a stream's or a durable's name, a durable's stream) is the engine's
 *   replacement: a new resource, and the old one deleted under the usual holds (messages held,
 *   readers still draining), which `forceDelete` lifts.
 */
import { isDeepStrictEqual } from "node:util";
import type * as pulumi from "@pulumi/pulumi";
import type { JetStreamManager } from "@nats-io/jetstream";
import { errCodeOf, manager, withRetry } from "../jetstream/client";
import type { ConnectionArgs } from "../jetstream/connection-args";
import { describeChanges, type ConfigDiff } from "../jetstream/update-rules";
import { withoutUnknowns } from "../jetstream/validation";
import { comparableSafety, configForDiff, CREATE_ONLY_KEYS, splitInputs, userInputs, type Safety } from "./inputs";

/** How a refusal tells the user to lift a delete's hold: the stack key every stream and durable takes it from. */
export const SET_FORCE_DELETE = "`pulumi config set event-bus:forceDelete true`";

/** The pooled manager for a connection, connecting with the same retries as every operation. */
export function connect(what: string, c: ConnectionArgs): Promise<JetStreamManager> {
  return withRetry(`${what}: connect`, c, () => manager(c));
}

/** Runs a read; a server answer with one of the `gone` codes means there is nothing: undefined. */
export function readOrGone<T>(what: string, c: ConnectionArgs, gone: readonly number[], op: () => Promise<T>): Promise<T | undefined> {
  return withRetry(what, c, async () => {
    try {
      return await op();
    } catch (e) {
      if (gone.includes(errCodeOf(e) ?? 0)) return undefined;
      throw e;
    }
  });
}

/** Runs a delete; a resource already gone counts as deleted. */
export async function deleteOrGone(what: string, c: ConnectionArgs, gone: readonly number[], op: () => Promise<unknown>): Promise<void> {
  await readOrGone(what, c, gone, op);
}

/** The refusal of a replace the user did not allow: what changes, why the server can not do it in place, what a replace loses. */
export function refuseReplace(what: string, loses: string, d: ConfigDiff): Error {
  const replaces = d.changes.filter((ch) => ch.kind === "replace");
  return new Error(
    `${what}: ${describeChanges(replaces)}. The server can not make ${replaces.length > 1 ? "these changes" : "this change"} in place, ` +
      `and replacing it ${loses}. Revert the change, or set event-bus:allowReplace (\`pulumi config set event-bus:allowReplace true\`) to replace it.`,
  );
}

export interface PlanArgs<C> {
  /** The resource, for messages ("stream ORDERS"). */
  what: string;
  /** The fields that make up the resource's id: a change of one is the engine's replacement. */
  identity: readonly string[];
  /** Whether the engine deletes the old resource before creating the new one (a renamed stream keeps its subjects). */
  deleteBeforeReplace: boolean;
  /** What a replace loses, for the refusal. */
  loses: string;
  /** The stored outputs, without output-only keys. */
  olds: Record<string, unknown>;
  news: Record<string, unknown>;
  /** The configuration diff, judged field by field. */
  diff: (olds: C, news: C) => ConfigDiff;
  /** Adjusts the known new configuration before the diff (for create-only inputs); `unknownCreateOnly` when one of them is not known yet. */
  adjust?: (known: Partial<C>, safety: Safety, old: C, unknownCreateOnly: boolean) => Partial<C>;
  /** The stored outputs are an earlier release's (schema.ts): an update writes them again, changing nothing on the server that the configuration does not. */
  outdated?: boolean;
}

/**
 * The engine's diff: changed when the configuration, a flag or the connection differ, or when a
 * value is not known yet (preview); replaced only where the server can not change in place and
 * the user allowed it. Values of create-only inputs are never a change.
 */
export function planChange<C extends object>(p: PlanArgs<C>): pulumi.dynamic.DiffResult {
  const known = withoutUnknowns(userInputs(p.news));
  const gaps = known.gaps.filter(([top]) => !(CREATE_ONLY_KEYS as readonly string[]).includes(top));
  const { config: oldConfig, safety: oldSafety, connection: oldConnection } = splitInputs(p.olds as Safety & { connection: ConnectionArgs });
  const newInputs = known.value as Record<string, unknown>;
  const { config: knownConfig, safety: newSafety } = splitInputs({ ...newInputs, connection: oldConnection } as Safety & { connection: ConnectionArgs });
  const adjusted = p.adjust ? p.adjust(knownConfig as Partial<C>, newSafety, oldConfig as C, gaps.length < known.gaps.length) : (knownConfig as Partial<C>);
  const merged = configForDiff(oldConfig as C, adjusted, gaps);
  const d = p.diff(oldConfig as C, merged);
  if (d.blocked.length) throw new Error(`${p.what}: ${d.blocked.join("; ")}`);
  const replaces = d.changes.filter((c) => c.kind === "replace");
  if (replaces.length && !newSafety.allowReplace) throw refuseReplace(p.what, p.loses, d);
  return {
    changes:
      p.outdated ||
      gaps.length > 0 ||
      d.changes.length > 0 ||
      !isDeepStrictEqual(comparableSafety(oldSafety), comparableSafety(newSafety)) ||
      !isDeepStrictEqual(oldConnection, newInputs.connection),
    replaces: replaces.filter((c) => p.identity.includes(c.field)).map((c) => c.field),
    deleteBeforeReplace: p.deleteBeforeReplace,
  };
}

/**
 * The check's note for the preview: on a resource already in the state, the changes its update
 * makes by deleting and recreating it (allowed by `allowReplace`); none otherwise.
 */
export function withReplacementNote(olds: Record<string, unknown>, inputs: Record<string, unknown>, plan: (olds: Record<string, unknown>, news: Record<string, unknown>) => ConfigDiff | undefined, identity: readonly string[]): Record<string, unknown> {
  const { replacing: _stale, ...rest } = inputs;
  if (Object.keys(userInputs(olds ?? {})).length === 0 || rest.allowReplace !== true) return rest;
  const d = plan(userInputs(olds), userInputs(rest));
  const recreated = d?.changes.filter((c) => c.kind === "replace" && !identity.includes(c.field)) ?? [];
  return recreated.length ? { ...rest, replacing: describeChanges(recreated) } : rest;
}

/** Whether an update has to delete and recreate the resource (a change the server refuses), and may. */
export function mustRecreate(what: string, loses: string, d: ConfigDiff, allowReplace: boolean | undefined): boolean {
  if (!d.changes.some((c) => c.kind === "replace")) return false;
  if (!allowReplace) throw refuseReplace(what, loses, d);
  return true;
}
