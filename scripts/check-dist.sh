#!/usr/bin/env bash
# Rebuilds dist/ from a clean slate and fails when it differs from what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent bundle
if ! git diff --quiet --ignore-space-at-eol -- dist || [ -n "$(git status --porcelain -- dist)" ]; then
  echo "dist/ is stale: it differs from a fresh build of src/." >&2
  git status --short -- dist >&2
  git diff --stat -- dist >&2 || true
  echo "Fix: run 'npm run bundle' and commit dist/." >&2
  exit 1
fi
echo "dist/ is up to date."
