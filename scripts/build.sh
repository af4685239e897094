#!/usr/bin/env bash
# npm run build: compiles the program, the providers and the scripts into bin/, then writes the
# providers' package into node_modules (the name state stores; scripts/provider-package.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npx --no-install tsc -p tsconfig.build.json
out="$(node -e 'console.log(require("path").resolve(require("./tsconfig.build.json").compilerOptions.outDir))')"
node "$out/scripts/provider-package.js" "$PWD" "$out"
