/**
 * Writes the providers' package into node_modules (components/providers/provider-package.ts), run
 * by `npm run build` (scripts/build.sh) after tsc, with the project directory and the output
 * directory: its entries point at the compiled providers there. Replaces what an earlier build
 * wrote there.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { packageDir, providerPackageFiles } from "../components/providers/provider-package";

// scripts/build.sh names the project and its output directory (tsconfig.build.json's outDir, read once there).
const [projectDir, outDir] = process.argv.slice(2).map((p) => path.resolve(p));
if (!projectDir || !outDir) throw new Error("usage: provider-package.js <project directory> <output directory>");
const version = (JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8")) as { version: string }).version;

const dir = packageDir(projectDir);
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(providerPackageFiles(projectDir, outDir, version))) fs.writeFileSync(path.join(dir, name), text);
console.error(`[build] ${path.relative(projectDir, dir)} -> ${path.relative(projectDir, outDir)}`);
