#!/usr/bin/env bash
# CPU instructions one request costs in-process, counted by valgrind (callgrind): unlike
# timings, the count hardly moves with whatever else the machine is doing, so two
# versions of the code can be compared one after the other.
#
#   bench/count_instructions.sh KIND [N=100]
#     KIND: healthz list list_filtered get create update toggle hot_client
#
# Runs bench/profile_requests.py twice under callgrind, with 0 and with N measured
# requests (3 rounds each), and prints the difference per request. Needs valgrind and
# the data bench/run.sh loaded; about a minute per kind.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KIND="${1:?usage: $0 KIND [N]}"
N="${2:-100}"
PY="${PYTHON:-$REPO/.venv/bin/python}"

count() {
  # create's run deletes the tasks it made at its end (profile_requests.py cleanup()); tasks
  # left by an interrupted run would be deleted inside the next count instead: delete them
  # first, outside valgrind.
  if [[ $KIND == create ]]; then "$PY" "$REPO/bench/profile_requests.py" create -n 0 >/dev/null 2>&1; fi
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$PY" "$REPO/bench/profile_requests.py" \
    "$KIND" -n "$1" 2>&1 | sed -n 's/^==[0-9]*== Collected : //p'
}
base=$(count 0)
total=$(count "$N")
echo "$KIND: $(( (total - base) / (3 * N) / 1000 )) thousand instructions per request (callgrind, $((3 * N)) requests)"
