/**
 * The providers' stable identity in state. A dynamic resource stores its provider serialised; when
 * the provider is the exports of a module inside node_modules, @pulumi/pulumi stores only
 * `require("@event-bus/providers/<entry>.js")` (a few hundred bytes), so state names the provider by package and
 * entry, never by a file path. `npm run build` writes that package into node_modules
 * (scripts/provider-package.ts, as Prisma writes its client there): each entry re-exports the
 * compiled provider from the build's output directory of the day, so deletes, reads and refreshes
 * run today's code, wherever the build put it.
 */
import * as path from "node:path";

/** The package name state stores, with the entry. */
export const PROVIDER_PACKAGE = "@event-bus/providers";

/** Each entry: the compiled module (relative to the build's output directory, no extension) and its export. */
export const PROVIDER_ENTRIES = {
  stream: { module: "components/providers/stream-provider", exportName: "streamProvider" },
  consumer: { module: "components/providers/consumer-provider", exportName: "consumerProvider" },
} as const;

export type ProviderEntry = keyof typeof PROVIDER_ENTRIES;

/** Where the package lives in a project. */
export const packageDir = (projectDir: string) => path.join(projectDir, "node_modules", ...PROVIDER_PACKAGE.split("/"));

/**
 * The package's files, for a build whose output directory is `outDir` (absolute), keyed by file
 * name. The entries reach the compiled code by a path relative to the package, so the project
 * directory may move; a build into another directory writes them again.
 */
export function providerPackageFiles(projectDir: string, outDir: string, version: string): Record<string, string> {
  const dir = packageDir(projectDir);
  const entries = Object.entries(PROVIDER_ENTRIES) as Array<[ProviderEntry, (typeof PROVIDER_ENTRIES)[ProviderEntry]]>;
  const files: Record<string, string> = {
    "package.json": `${JSON.stringify(
      {
        name: PROVIDER_PACKAGE,
        version,
        private: true,
        description: "Written by npm run build (scripts/provider-package.ts): the event-bus dynamic providers, by the name state stores",
        // No "exports" map: @pulumi/pulumi stores the entry by its file ("<package>/stream.js"),
        // which such a map would forbid requiring.
      },
      null,
      2,
    )}\n`,
  };
  for (const [name, { module, exportName }] of entries) {
    const target = path.relative(dir, path.join(outDir, `${module}.js`)).split(path.sep).join("/");
    files[`${name}.js`] = `"use strict";\n// Written by npm run build: the compiled ${name} provider, the exports state names by "${PROVIDER_PACKAGE}/${name}.js".\nmodule.exports = require(${JSON.stringify(target)}).${exportName};\n`;
  }
  return files;
}

/**
 * The provider a Stream or Consumer registers with: the package entry's exports (so state stores
 * the package name). Built by `npm run build`; says so when it has not run.
 */
export function providerOf(entry: ProviderEntry): import("@pulumi/pulumi").dynamic.ResourceProvider {
  const id = `${PROVIDER_PACKAGE}/${entry}.js`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(id);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") throw new Error(`event-bus: ${id} is not built; run \`npm run build\` (it writes the providers' package into node_modules)`);
    throw e;
  }
}
