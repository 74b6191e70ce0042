#!/usr/bin/env bash
# Server-choice study: the project served by several WSGI/ASGI servers, each compared
# interleaved against the same earlier backend (bench/run.sh with WEB_CMD), so every
# configuration gets a B/A ratio against the same reference. Results: bench/results/server-*.txt
#
#   bench/server-study.sh [CONFIG ...]      (default: all below; data must be loaded once:
#                                            bench/run.sh runs first without --skip-load)
#   bench/server-study.sh --against CONFIG_A CONFIG ...
#                                           head-to-head: side A is the project served by
#                                           CONFIG_A instead of the earlier backend
#                                           (results: bench/results/h2h-A-vs-B.txt)
# env: as bench/run.sh (DURATION=8 ROUNDS=3 SCENARIOS="list get toggle mixed" by default here)
#      RUN_ARGS: more options for bench/run.sh, e.g. RUN_ARGS="--remote-db 1" (results then
#      end in -remote1)
#      STUDY_VENV: a venv with the project's requirements plus gunicorn and uvicorn[standard]
#      (default /tmp/bench-venv-extra, built here if missing; nothing is added to requirements/)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
export DURATION="${DURATION:-8}" ROUNDS="${ROUNDS:-3}" SCENARIOS="${SCENARIOS:-list get toggle mixed}"
STUDY_VENV="${STUDY_VENV:-/tmp/bench-venv-extra}"
if [[ ! -x "$STUDY_VENV/bin/gunicorn" || ! -x "$STUDY_VENV/bin/uvicorn" ]]; then
  python3 -m venv "$STUDY_VENV"
  "$STUDY_VENV/bin/pip" install -q -r "$REPO/requirements/base.txt" gunicorn==27.0.1 'uvicorn[standard]'
fi
export WEB_VENV="$STUDY_VENV"

B='--bind 127.0.0.1:$PORT --forwarded-allow-ips "*"'
declare -A CMD=(
  [gunicorn-sync-2]="gunicorn config.wsgi $B --workers 2"
  [gunicorn-sync-3]="gunicorn config.wsgi $B --workers 3"
  [gunicorn-sync-4]="gunicorn config.wsgi $B --workers 4"
  [gunicorn-gthread-2x4]="gunicorn config.wsgi $B --workers 2 --threads 4"
  [gunicorn-gthread-2x1]="gunicorn config.wsgi $B --workers 2 --worker-class gthread --threads 1"
  [granian-wsgi-2x4]='granian --interface wsgi --host 127.0.0.1 --port $PORT --workers 2 --blocking-threads 4 --no-access-log --log-level warning config.wsgi:application'
  [granian-wsgi-3x1]='granian --interface wsgi --host 127.0.0.1 --port $PORT --workers 3 --blocking-threads 1 --no-access-log --log-level warning config.wsgi:application'
  [granian-wsgi-2x2]='granian --interface wsgi --host 127.0.0.1 --port $PORT --workers 2 --blocking-threads 2 --no-access-log --log-level warning config.wsgi:application'
  [granian-wsgi-2x1]='granian --interface wsgi --host 127.0.0.1 --port $PORT --workers 2 --blocking-threads 1 --no-access-log --log-level warning config.wsgi:application'
  # With the connection pool (the default on PostgreSQL), sized by WEB_THREADS; "persistent"
  # is the Procfile before the pool: one thread and one kept connection per worker.
  [granian-wsgi-2x1-persistent]='env DB_POOL=0 granian --interface wsgi --host 127.0.0.1 --port $PORT --workers 2 --blocking-threads 1 --respawn-failed-workers config.wsgi:application'
  [granian-wsgi-2x4-pool]='env WEB_THREADS=4 granian --interface wsgi --host 127.0.0.1 --port $PORT --workers 2 --blocking-threads 4 --respawn-failed-workers config.wsgi:application'
  [granian-wsgi-2x8-pool]='env WEB_THREADS=8 granian --interface wsgi --host 127.0.0.1 --port $PORT --workers 2 --blocking-threads 8 --respawn-failed-workers config.wsgi:application'
  [granian-wsgi-2x16-pool]='env WEB_THREADS=16 granian --interface wsgi --host 127.0.0.1 --port $PORT --workers 2 --blocking-threads 16 --respawn-failed-workers config.wsgi:application'
  # The Procfile since slow clients: the WSGI application behind granian's RSGI interface
  # (config/rsgi.py), bodies read on the event loop before a thread takes the request.
  [granian-rsgi-2x4-pool]='env WEB_THREADS=4 granian --interface rsgi --host 127.0.0.1 --port $PORT --workers 2 --backlog 2048 --backpressure 4096 --http1-header-read-timeout 5000 --respawn-failed-workers config.rsgi:application'
  # The same with the threads spread over more processes: fewer threads share each GIL.
  [granian-rsgi-4x2-pool]='env WEB_THREADS=2 granian --interface rsgi --host 127.0.0.1 --port $PORT --workers 4 --backlog 2048 --backpressure 4096 --http1-header-read-timeout 5000 --respawn-failed-workers config.rsgi:application'
  [granian-rsgi-3x3-pool]='env WEB_THREADS=3 granian --interface rsgi --host 127.0.0.1 --port $PORT --workers 3 --backlog 2048 --backpressure 4096 --http1-header-read-timeout 5000 --respawn-failed-workers config.rsgi:application'
  [gunicorn-gthread-2x8-pool]="env WEB_THREADS=8 gunicorn config.wsgi $B --workers 2 --worker-class gthread --threads 8"
  # Django's ASGI handler runs sync views in one thread per process (thread-sensitive).
  [uvicorn-asgi-2-pool]='env WEB_THREADS=2 uvicorn config.asgi:application --host 127.0.0.1 --port $PORT --workers 2 --no-access-log --log-level warning'
  [uvicorn-asgi-2]='uvicorn config.asgi:application --host 127.0.0.1 --port $PORT --workers 2 --no-access-log --log-level warning'
)
ORDERED=(gunicorn-sync-2 gunicorn-sync-3 gunicorn-sync-4 gunicorn-gthread-2x4 gunicorn-gthread-2x1 granian-wsgi-2x4
  granian-wsgi-2x1 granian-wsgi-2x2 granian-wsgi-3x1 uvicorn-asgi-2)
SUFFIX=""
[[ ${RUN_ARGS:-} =~ --remote-db\ +([0-9.]+) ]] && SUFFIX="-remote${BASH_REMATCH[1]}"
AGAINST=""
if [[ ${1:-} == --against ]]; then
  AGAINST=${2:?--against needs a config}; shift 2
  [[ -n "${CMD[$AGAINST]:-}" ]] || { echo "unknown config $AGAINST; known: ${!CMD[*]}" >&2; exit 2; }
fi
(($#)) && ORDERED=("$@")
for name in "${ORDERED[@]}"; do
  [[ -n "${CMD[$name]:-}" ]] || { echo "unknown config $name; known: ${!CMD[*]}" >&2; exit 2; }
  echo "=== $name: ${CMD[$name]}"
  if [[ -n $AGAINST ]]; then
    NAME_A="$AGAINST" A_WEB_CMD="${CMD[$AGAINST]}" NAME_B="$name" WEB_CMD="${CMD[$name]}" \
      "$HERE/run.sh" --skip-load ${RUN_ARGS:-} --save "h2h-$AGAINST-vs-$name$SUFFIX"
  else
    NAME_B="$name" WEB_CMD="${CMD[$name]}" "$HERE/run.sh" --skip-load ${RUN_ARGS:-} --save "server-$name$SUFFIX"
  fi
done
