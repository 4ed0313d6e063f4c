#!/usr/bin/env bash
# The README's test command: system packages, typecheck, lint, then every test file
# (unit, integration against the emulator, browser, independent-client) with Node's runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-deps.sh
npx tsc -p tsconfig.json --noEmit
npx eslint .
mapfile -t files < <(find test -name '*.test.ts' | sort)
exec node --import tsx --test --test-concurrency=2 "${files[@]}"
