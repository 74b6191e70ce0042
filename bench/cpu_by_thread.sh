#!/usr/bin/env bash
# Where the production server's CPU goes under load, by thread: each worker's event loop
# (its main thread: granian's calls into Python, config.wsgi_over_rsgi's side) against
# every other thread (the request threads running Django, granian's Rust threads).
#
#   bench/cpu_by_thread.sh [SCENARIO] [SECONDS]      # default: get 10
#   CHECKOUT=/work/wt/other bench/cpu_by_thread.sh   # serve another checkout (a worktree)
#
# Serves the Procfile's command (2 workers) on bench_project, which `bench/run.sh` loaded,
# runs one of the shared harness's wrk scenarios against it (16 connections), and prints
# the CPU milliseconds per request that /proc counted for each kind of thread, user and
# system time apart. The box is shared and noisy: compare two checkouts in turns.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CHECKOUT=${CHECKOUT:-$REPO}
SCENARIO=${1:-get} SECONDS_=${2:-10} PORT=${PORT:-8210}
MAIN=$(git -C "$REPO" worktree list --porcelain | awk 'NR==1{print $2}')
HARNESS=${SHARED:-$MAIN/../shared}/bench
DATA=$MAIN/bench/data
die() { echo "cpu_by_thread.sh: $*" >&2; exit 1; }
[[ -f $DATA/ids-bench_project-tasks_task.tsv ]] || die "load bench_project first: bench/run.sh"
# run.sh's overlay of the shared scenarios and this project's (list_filtered, hot_client).
LUA=$DATA/harness/lua
[[ -f $LUA/$SCENARIO.lua ]] || die "no scenario $SCENARIO in $LUA"
# Another server on the port would share it (SO_REUSEPORT) and take part of the load.
[[ -z "$(ss -ltnH "sport = :$PORT")" ]] || die "port $PORT is in use: stop what listens there, or set PORT"
export AUTH_JWT_SECRET=cpu-by-thread-$(date +%s)-0123456789abcdef0123456789
TOKENS=$(mktemp)
"$HARNESS/mint-tokens.py" "$DATA/ids-bench_project-tasks_task.tsv" "$TOKENS" >/dev/null
cmd=$(sed -n 's/^web: //p' "$REPO/Procfile")
(cd "$CHECKOUT" && exec setsid env PATH="$REPO/.venv/bin:$PATH" PORT="$PORT" DEBUG=0 \
  SECRET_KEY=cpu-by-thread-key-0123456789abcdef0123456789abcdef0123456789 SECURE_SSL_REDIRECT=0 \
  ALLOWED_HOSTS=127.0.0.1,localhost DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_project \
  THROTTLE_USER_RATE=100000/min bash -c "exec ${cmd//0.0.0.0/127.0.0.1}") >/dev/null 2>&1 &
server=$!
trap 'kill -- -$server 2>/dev/null || true; rm -f "$TOKENS"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

load() { IDS=$DATA/ids-bench_project-tasks_task.tsv TOKENS=$TOKENS \
  wrk -t2 -c16 -d"$1"s -s "$LUA/$SCENARIO.lua" "http://127.0.0.1:$PORT"; }
# Clock ticks by thread kind over both workers: "loop_user 123", "other_sys 45", ...
ticks() {
  local worker task kind
  for worker in $(pgrep -P "$server"); do
    for task in /proc/"$worker"/task/*; do
      kind=other; [[ ${task##*/} == "$worker" ]] && kind=loop
      awk -v k=$kind '{print k "_user", $14; print k "_sys", $15}' "$task/stat"
    done
  done | awk '{t[$1] += $2} END {for (k in t) print k, t[k]}' | sort
}

load 3 >/dev/null  # warm-up: threads started, connections pooled
before=$(ticks)
out=$(load "$SECONDS_")
after=$(ticks)
requests=$(awk '/requests in/{print $1}' <<<"$out")
# A run of errors (a 401 from the wrong secret, say) would measure the wrong thing.
! grep -q "Non-2xx" <<<"$out" || die "some answers were not 2xx: $(grep Non-2xx <<<"$out")"
echo "$CHECKOUT $SCENARIO: $requests requests in ${SECONDS_}s; CPU ms per request by thread"
hz=$(getconf CLK_TCK)
join <(echo "$before") <(echo "$after") | awk -v r="$requests" -v hz="$hz" '
  {ms = ($3 - $2) * 1000 / hz; total += ms; printf "  %-10s %6.3f\n", $1, ms / r}
  END {printf "  %-10s %6.3f\n", "total", total / r}'
