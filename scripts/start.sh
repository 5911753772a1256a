#!/usr/bin/env bash
# The README's main-job command: installs what is missing, then runs the example deploy workflow
# against a fresh sandbox host with the committed dist/ bundles.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node_modules/.bin/node --no-warnings scripts/start.ts "$@"
