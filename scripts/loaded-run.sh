#!/usr/bin/env bash
# The suite on a loaded machine (issue 17, "The suite itself"): runs the README's test command
# (`npm test`) from a fresh clone of this repository's HEAD, RUNS times in a row (3 by default),
# with a CPU hog beside it (HOGS busy processes, 2 by default), and says which runs passed. Any
# timing assumption that fails a run under load is a defect to fix.
#
#   bash scripts/loaded-run.sh                  3 runs, 2 hogs
#   RUNS=1 HOGS=4 bash scripts/loaded-run.sh    one run beside 4 hogs
#   RESULTS_DIR=/tmp/r bash scripts/loaded-run.sh
#                                               also keeps each run's reliability counts there
#                                               (run-N.jsonl, for `node scripts/reliability.ts --report`)
#
# Each clone lives in its own mode-700 directory under /root (the sandbox's logins must not read it),
# removed after a passing run and kept, with its log, after a failing one. Every run is bounded
# (RUN_TIMEOUT, 90 minutes by default); the hogs end with the script (trap) and, should the script
# itself be killed, by their own time limit.
set -euo pipefail

RUNS="${RUNS:-3}"
HOGS="${HOGS:-2}"
RUN_TIMEOUT="${RUN_TIMEOUT:-5400}"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
SHA="$(git -C "$REPO" rev-parse HEAD)"
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
  echo "loaded-run: $REPO has uncommitted changes; the runs test the commit $SHA, without them." >&2
fi

hogs=()
stop_hogs() {
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null || true; done
  hogs=()
}
trap stop_hogs EXIT
trap 'stop_hogs; exit 130' INT
trap 'stop_hogs; exit 143' TERM

# Bounded even if this script is SIGKILLed: each hog stops by itself after all runs could have ended.
hog_limit=$(( RUNS * RUN_TIMEOUT + 600 ))
for _ in $(seq 1 "$HOGS"); do
  timeout "$hog_limit" yes >/dev/null &
  hogs+=("$!")
done
echo "loaded-run: $HOGS CPU hog(s) running (pids ${hogs[*]}); $RUNS run(s) of npm test from fresh clones of $SHA"

results=()
failed=0
for run in $(seq 1 "$RUNS"); do
  dir="$(mktemp -d "${HOME:-/root}/loaded-run.XXXXXX")"   # in the running user's home (root's is mode 700), as a user would clone
  log="$dir/npm-test.log"
  started=$(date +%s)
  git clone --quiet "$REPO" "$dir/repo"
  git -C "$dir/repo" checkout --quiet --detach "$SHA"
  echo "loaded-run: run $run of $RUNS in $dir/repo (log: $log)"
  status=0
  results_env=()
  if [ -n "${RESULTS_DIR:-}" ]; then
    mkdir -p "$RESULTS_DIR"
    results_env=(RELIABILITY_RESULTS="$RESULTS_DIR/run-$run.jsonl")
  fi
  (cd "$dir/repo" && env "${results_env[@]}" timeout --kill-after=60 "$RUN_TIMEOUT" npm test) >"$log" 2>&1 || status=$?
  seconds=$(( $(date +%s) - started ))
  if [ "$status" -eq 0 ]; then
    results+=("run $run: passed in ${seconds} s")
    rm -rf "$dir"
  else
    failed=$(( failed + 1 ))
    results+=("run $run: FAILED (exit $status) after ${seconds} s; kept: $log")
    tail -n 40 "$log" | sed 's/^/    /'
  fi
done

stop_hogs
echo
echo "loaded-run: $HOGS hog(s), commit $SHA"
printf '  %s\n' "${results[@]}"
echo "loaded-run: $(( RUNS - failed )) of $RUNS run(s) passed"
[ "$failed" -eq 0 ]
