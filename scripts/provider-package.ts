/**
 * Writes the providers' package into node_modules (components/providers/provider-package.ts), run
 * by `npm run build` after tsc: its entries point at the compiled providers in the output
 * directory of tsconfig.build.json. Replaces what an earlier build wrote there.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { packageDir, providerPackageFiles } from "../components/providers/provider-package";

const projectDir = path.resolve(__dirname, "..", "..");
const tsconfig = JSON.parse(fs.readFileSync(path.join(projectDir, "tsconfig.build.json"), "utf8")) as { compilerOptions: { outDir: string } };
const outDir = path.resolve(projectDir, tsconfig.compilerOptions.outDir);
const version = (JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8")) as { version: string }).version;

const dir = packageDir(projectDir);
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(providerPackageFiles(projectDir, outDir, version))) fs.writeFileSync(path.join(dir, name), text);
console.error(`[build] ${path.relative(projectDir, dir)} -> ${path.relative(projectDir, outDir)}`);
