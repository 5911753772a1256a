#!/usr/bin/env bash
# The README's test command: installs what is missing, then runs every test on Node 24.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
exec vitest run "$@"
