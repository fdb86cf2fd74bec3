#!/usr/bin/env bash
# Runs synckit's and make-synchronized's own behaviour tests against sideloop's drop-ins.
#
# usage: bash scripts/upstream-tests.sh <synckit git dir or checkout> <make-synchronized git dir or checkout>
#
# Each library's tests are copied (git archive of HEAD) into a temporary directory outside this
# project; their test dependencies are installed there with npm; the library's package name is
# pointed at sideloop's entry (sideloop/synckit, sideloop/make-synchronized) through a small shim
# package, and the tests run. Nothing is downloaded but npm packages; nothing of theirs is kept.
# Which tests run and which are left out, and why, is said below and in docs/migration.md.
set -uo pipefail
synckit_repo=${1:?synckit git dir}
ms_repo=${2:?make-synchronized git dir}
project=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sideloop-upstream-XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0

(cd "$project" && npm run build --silent) || exit 1

# A package named like the library, re-exporting sideloop's drop-in (ESM and CommonJS).
shim() { # <dir> <name> <sideloop entry> [with-default]
  mkdir -p "$1"
  cat > "$1/package.json" <<EOF
{ "name": "$2", "version": "0.0.0-sideloop", "exports": { ".": { "import": "./index.mjs", "require": "./index.cjs" } } }
EOF
  printf "export * from '%s';\n" "$3" > "$1/index.mjs"
  if [ "${4:-}" = with-default ]; then printf "import d from '%s';\nexport default d;\n" "$3" >> "$1/index.mjs"; fi
  printf "module.exports = require('%s');\n" "$3" > "$1/index.cjs"
}

echo "== make-synchronized: tests/ with node --test"
ms="$work/make-synchronized"
mkdir -p "$ms"
git -C "$ms_repo" archive HEAD tests fixtures | tar -x -C "$ms"
(
  cd "$ms"
  echo '{ "name": "ms-upstream", "private": true, "type": "module" }' > package.json
  npm install --silent --no-audit --no-fund --no-save strip-ansi@7 prettier@3 "$project" >/dev/null
  shim node_modules/make-synchronized make-synchronized sideloop/make-synchronized with-default
  # Their tests load the library through this file and ../source/index.js: both now lead to sideloop.
  mkdir -p scripts source
  echo "export default () => import('make-synchronized');" > scripts/load-module-for-tests.js
  printf "export * from 'make-synchronized';\nexport { default } from 'make-synchronized';\n" > source/index.js
  # Left out: loaders.test.js runs 'yarn set version berry', which downloads Yarn from outside npm.
  node --test --test-timeout=120000 $(ls tests/*.test.js | grep -v loaders.test.js)
) || status=1

echo "== synckit: test/fn.spec.ts and test/ts-runner.spec.ts with jest"
sk="$work/synckit"
mkdir -p "$sk"
git -C "$synckit_repo" archive HEAD test | tar -x -C "$sk"
(
  cd "$sk"
  cat > package.json <<'EOF'
{
  "name": "synckit-upstream", "private": true, "type": "module",
  "jest": {
    "testEnvironment": "node",
    "extensionsToTreatAsEsm": [".ts"],
    "moduleNameMapper": { "^(\\.{1,2}/.*)\\.js$": "$1" },
    "transform": { "^.+\\.tsx?$": ["ts-jest", { "useESM": true, "diagnostics": false, "tsconfig": { "isolatedModules": true, "module": "esnext", "target": "es2022", "allowImportingTsExtensions": true, "noEmit": true } }] }
  }
}
EOF
  npm install --silent --no-audit --no-fund --no-save jest@29 ts-jest@29 @jest/globals@29 typescript@5 @pkgr/core@0.3 tsx@4 eslint@9 "$project" >/dev/null
  shim node_modules/synckit synckit sideloop/synckit
  # CommonJS workers require '../lib/index.cjs' (synckit's build): it leads to sideloop too.
  mkdir -p lib && echo "module.exports = require('synckit');" > lib/index.cjs
  # Left out of fn.spec.ts: four tests that mock Atomics.wait and receiveMessageOnPort to drive
  # synckit's own message loop (its internals, not its behaviour). Left out of ts-runner.spec.ts:
  # the esbuild-register, esbuild-runner, oxc and swc runners (not installed here; their flags
  # are synckit's). Left out entirely: common/helpers/utils.spec.ts test synckit's internal
  # helpers (hasFlag, encodeImportModule, generateGlobals, md5Hash...), which sideloop does not
  # export; reliability.spec.ts runs only with CI set (1e6 calls): run it with CI=1 in the env.
  skip='outdated message|propagation of undefined timeout|reduction of waiting time|unexpected message from worker|esbuild-register|esbuild-runner|oxc|swc'
  NODE_OPTIONS=--experimental-vm-modules npx jest --ci --runInBand --verbose test/fn.spec.ts test/ts-runner.spec.ts test/reliability.spec.ts \
    --testNamePattern "^(?!.*($skip)).*$"
) || status=1

exit $status
