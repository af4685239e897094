/**
 * The version of what the Stream and Consumer providers store. Outputs of an earlier release (no
 * version, or an older one, or a provider stored as a loader that walks to a file path) are
 * outdated: the next `up` updates each such resource once, which rewrites its outputs with this
 * release's provider entry (components/providers/provider-package.ts), the version and, for a
 * stream, claims recovered from the server where the state had none. Unchanged resources keep
 * their outputs otherwise, so without this the stored loader would live as long as the resource.
 */
import { PROVIDER_PACKAGE } from "./provider-package";
import { PROVIDER_KEY } from "./inputs";

/** 1: the releases before it (no version stored); 2: the provider stored as its package entry, claims never missing. */
export const SCHEMA_VERSION = 2;

/** Why stored outputs must be written again by this release, or undefined when they are current. */
export function outdated(outputs: Record<string, unknown>): string | undefined {
  const version = typeof outputs.schemaVersion === "number" ? outputs.schemaVersion : 1;
  if (version < SCHEMA_VERSION) return `stored by an earlier release (schema ${version}, now ${SCHEMA_VERSION})`;
  const provider = outputs[PROVIDER_KEY];
  if (typeof provider === "string" && !provider.includes(`require("${PROVIDER_PACKAGE}/`)) return "its provider is stored as a file loader, not by its package entry";
  return undefined;
}
