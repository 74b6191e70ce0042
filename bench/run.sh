#!/usr/bin/env bash
# Benchmark this project against the earlier FastAPI backend it replaces, on PostgreSQL.
#
#   bench/run.sh [--large | --only-large] [--skip-load] [--remote-db MS] [--save NAME] [--keep-going]
#
# 1. creates the scratch databases bench_project and bench_seed anew (dropping old copies)
#    and migrates bench_project with the project's own migrations;
# 2. loads the same 1,000 users x 100 tasks into both (shared/bench/seed-data.py, same
#    --seed, so the same user ids and task UUIDs), ANALYZEd;
# 3. mints an HS256 token per user (shared/bench/mint-tokens.py) signed with
#    AUTH_JWT_SECRET, which the project verifies as an external identity provider's;
# 4. serves the project with the Procfile's `web:` command (granian, DEBUG=0, SECRET_KEY
#    set, plain HTTP on loopback, a user rate of BENCH_USER_RATE) and the earlier backend
#    (shared/bench/servers/seed-fastapi);
# 5. runs shared/bench/compare.sh between them (A = earlier backend, B = this project:
#    B/A > 1 means this project is faster) and prints the table; besides the shared
#    harness's scenarios, bench/lua's: list_filtered (the front ends' page,
#    ?status=pending&sort=due_date&limit=20) and hot_client (gets by one user only);
# 6. with --large: the same on 1,000 users x 1,000 tasks (1M rows, databases
#    bench_project_large / bench_seed_large), for list requests: `list` (each side's
#    default: the project's first page of 100, the earlier backend's whole list of 1,000)
#    and `list1000` (?limit=1000: 1,000 tasks from both), plus `get`.
# With --remote-db MS both servers reach PostgreSQL through shared/bench/netdelay.py, MS
# milliseconds each way (1 = about 2.5 ms per round trip, like a managed database in the
# same region); migrations, loading and the harness's own clean-up go to it directly.
# Servers are stopped on exit (also on Ctrl-C or failure).
#
# Options
#   --large        also run the 1M-row comparison after the normal one
#   --only-large   run only the 1M-row comparison
#   --skip-load    reuse the data already loaded (databases must hold the expected rows)
#   --save NAME    also write the table and raw TSV to bench/results/NAME.{txt,tsv}
#   --keep-going   after the run, leave the servers up until Ctrl-C (to poke at them)
#   --remote-db MS serve both sides' database through netdelay.py with MS ms one-way delay
#
# Environment (all optional)
#   DURATION=10 ROUNDS=3 CONNS=16 THREADS=2
#   SCENARIOS="list list_filtered get hot_client create update toggle mixed"
#   WARMUP=3 ORDER=ab TIMEOUT=5    passed to compare.sh
#   WEB_CONCURRENCY                workers for the Procfile command (Procfile default: 2)
#   WEB_CMD                        serve the project with this command instead of the
#                                  Procfile's (server-choice studies), e.g.
#                                  'gunicorn config.wsgi --bind 127.0.0.1:$PORT --workers 3'
#   A_WEB_CMD                      head-to-head: side A is the project too, served by this
#                                  command on the same database, instead of the earlier backend
#   WEB_VENV                       venv whose bin/ comes first on PATH for the project
#                                  (default: the project's .venv)
#   WEB_ENV                        extra "NAME=value NAME2=value" for the project server
#   BENCH_USER_RATE=100000/min     the project's THROTTLE_USER_RATE: above what hot_client
#                                  (one user on every connection) sends in a minute here,
#                                  so the run stays 0 non-2xx (WEB_ENV may override it)
#   NAME_B=project NAME_A=seed     labels in the table
#   SEED_WORKERS=2                 uvicorn workers of the earlier backend
#   PROJECT_PORT=8103 SEED_PORT=8101
#   PG_URL_BASE=postgresql://postgres@127.0.0.1:5432
#   AUTH_JWT_SECRET                (default: random per run); AUTH_JWT_ISSUER/AUDIENCE are
#                                  passed to both the token minter and the server when set
#   REDIS_URL                      unset by default (throttling then uses a per-process cache)
#   SHARED                         the shared folder (default: ../shared beside this checkout,
#                                  or beside the main checkout when this is a git worktree)
#   NETDELAY_PORT=16543            where --remote-db's delayed PostgreSQL listens
#   BENCH_OUT                      data/ (ids, tokens) and logs/ (default: bench/ here,
#                                  both git-ignored)
#   SEED_VENV                      venv of the earlier backend (default /tmp/bench-venv-seed-fastapi)
#   CODE_VERSION                   what to print as the code's version outside a git checkout
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERE="$REPO/bench"
# The shared harness sits beside the checkout; a git worktree elsewhere finds it beside
# the main checkout instead.
if [[ -z "${SHARED:-}" ]]; then
  SHARED="$(cd "$REPO/.." && pwd)/shared"
  if [[ ! -d "$SHARED/bench" ]] && common=$(git -C "$REPO" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
    [[ -d "$(dirname "$common")/../shared/bench" ]] && SHARED="$(cd "$(dirname "$common")/../shared" && pwd)"
  fi
fi
HARNESS="$SHARED/bench"
export BENCH_OUT="${BENCH_OUT:-$HERE}"
PG_URL_BASE="${PG_URL_BASE:-postgresql://postgres@127.0.0.1:5432}"
PROJECT_PORT="${PROJECT_PORT:-8103}"
SEED_PORT="${SEED_PORT:-8101}"
SEED_WORKERS="${SEED_WORKERS:-2}"
export SEED_VENV="${SEED_VENV:-/tmp/bench-venv-seed-fastapi}"
WEB_VENV="${WEB_VENV:-$REPO/.venv}"
NAME_A="${NAME_A:-seed}"
NAME_B="${NAME_B:-project}"
export DURATION="${DURATION:-10}" ROUNDS="${ROUNDS:-3}"
export SCENARIOS="${SCENARIOS:-list list_filtered get hot_client create update toggle mixed}"
BENCH_USER_RATE="${BENCH_USER_RATE:-100000/min}"

NETDELAY_PORT="${NETDELAY_PORT:-16543}"
RUN_SMALL=1 RUN_LARGE=0 SKIP_LOAD=0 SAVE="" KEEP=0 REMOTE_DB_MS=""
while (($#)); do
  case $1 in
    --large) RUN_LARGE=1 ;;
    --only-large) RUN_LARGE=1 RUN_SMALL=0 ;;
    --skip-load) SKIP_LOAD=1 ;;
    --save) SAVE=${2:?--save needs a name}; shift ;;
    --keep-going) KEEP=1 ;;
    --remote-db)
      REMOTE_DB_MS=${2:?--remote-db needs the one-way delay in milliseconds, e.g. --remote-db 1}
      [[ $REMOTE_DB_MS =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "--remote-db: not a number of milliseconds: $REMOTE_DB_MS" >&2; exit 2; }
      shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see bench/run.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- preflight
for tool in psql pg_isready wrk curl ss setsid python3; do
  command -v "$tool" >/dev/null || die "$tool not found (PostgreSQL client, wrk, curl, iproute2 and util-linux are needed; apt-get install -y postgresql-client wrk curl)"
done
[[ -x "$HARNESS/compare.sh" && -f "$HARNESS/seed-data.py" && -f "$HARNESS/netdelay.py" ]] ||
  die "the shared benchmark harness is not at $HARNESS: it needs compare.sh, seed-data.py, mint-tokens.py, netdelay.py and servers/seed-fastapi/ there. Put the project's shared/ folder beside this checkout (../shared) or set SHARED=/path/to/shared"
[[ -x "$WEB_VENV/bin/python" ]] || { say "project venv missing: make install"; make -C "$REPO" -s install; }
mkdir -p "$BENCH_OUT/data" "$BENCH_OUT/logs"
TS=$(date +%Y%m%d-%H%M%S)
RUNLOG="$BENCH_OUT/logs/run-$TS"
: "${AUTH_JWT_SECRET:=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')}"
export AUTH_JWT_SECRET
SECRET_KEY_BENCH=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')

host_port=${PG_URL_BASE#*://}; host_port=${host_port#*@}; host_port=${host_port%%/*}
pg_host=${host_port%%:*}; pg_port=${host_port##*:}; [[ $pg_port == "$host_port" ]] && pg_port=5432
if ! pg_isready -h "$pg_host" -p "$pg_port" -q; then
  say "PostgreSQL is not answering on $pg_host:$pg_port: starting it with $HARNESS/pg-up.sh"
  "$HARNESS/pg-up.sh" >&2 || die "could not start PostgreSQL"
fi

for port in "$PROJECT_PORT" "$SEED_PORT" ${REMOTE_DB_MS:+"$NETDELAY_PORT"}; do
  [[ -z "$(ss -ltnH "sport = :$port")" ]] || die "port $port is already in use (set PROJECT_PORT / SEED_PORT / NETDELAY_PORT)"
done

# The servers' database: PostgreSQL itself, or with --remote-db the same through the delay.
SERVE_URL_BASE=$PG_URL_BASE
[[ -n $REMOTE_DB_MS ]] && SERVE_URL_BASE=${PG_URL_BASE/"$host_port"/127.0.0.1:$NETDELAY_PORT}

ensure_db() { # NAME
  if [[ -z "$(psql "$PG_URL_BASE/postgres" -X -Atc "SELECT 1 FROM pg_database WHERE datname = '$1'")" ]]; then
    psql "$PG_URL_BASE/postgres" -X -qc "CREATE DATABASE \"$1\"" || die "cannot create database $1"
  fi
}

# ---------------------------------------------------------------- servers
PIDS=()
NETDELAY_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_servers
  [[ -n $NETDELAY_PID ]] && kill -TERM -- "-$NETDELAY_PID" 2>/dev/null
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each server was started with setsid, so its pid is its process group: TERM the whole
# group (server master and workers), then KILL whatever is left after 10 s.
stop_servers() {
  local pid port
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  PIDS=()
  for port in "$PROJECT_PORT" "$SEED_PORT"; do
    for _ in $(seq 1 50); do [[ -z "$(ss -ltnH "sport = :$port")" ]] && break; sleep 0.2; done
  done
}

wait_ready() { # URL PID LOG WHAT
  local url=$1 pid=$2 log=$3 what=$4
  for _ in $(seq 1 240); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$log" >&2
      die "$what exited before it answered $url (log: $log)"
    fi
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)" == 200 ]] && return 0
    sleep 0.5
  done
  tail -n 30 "$log" >&2
  die "$what did not answer 200 on $url within 120 s (log: $log)"
}

web_command() {
  if [[ -n "${WEB_CMD:-}" ]]; then echo "$WEB_CMD"; return; fi
  local cmd
  cmd=$(sed -n 's/^web:[[:space:]]*//p' "$REPO/Procfile")
  [[ -n "$cmd" ]] || die "no web: line in $REPO/Procfile"
  # The same command, bound to loopback only: this is a benchmark box, not a server.
  echo "${cmd//0.0.0.0/127.0.0.1}"
}

start_project() { # DBNAME [PORT COMMAND LOGNAME]
  local db=$1 port=${2:-$PROJECT_PORT} cmd=${3:-$(web_command)} log="$RUNLOG-${4:-project}.log"
  say "project: $cmd  (PORT=$port, DATABASE_URL=$SERVE_URL_BASE/$db, log $log)"
  # shellcheck disable=SC2086  # WEB_ENV is a list of NAME=value words
  (cd "$REPO" && exec setsid env \
    PATH="$WEB_VENV/bin:$PATH" PORT="$port" DEBUG=0 SECRET_KEY="$SECRET_KEY_BENCH" \
    SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1,localhost DATABASE_URL="$SERVE_URL_BASE/$db" \
    AUTH_JWT_SECRET="$AUTH_JWT_SECRET" THROTTLE_USER_RATE="$BENCH_USER_RATE" ${WEB_ENV:-} \
    bash -c "exec $cmd") >"$log" 2>&1 &
  PIDS+=($!)
  wait_ready "http://127.0.0.1:$port/healthz" "$!" "$log" "the project"
  local ready
  ready=$(curl -s "http://127.0.0.1:$port/readyz" || true)
  [[ $ready == *'"ok"'* ]] || die "the project is up but not ready: $ready"
}

start_seed() { # DBNAME
  local db=$1 log="$RUNLOG-seed.log"
  say "earlier backend: seed-fastapi, $SEED_WORKERS uvicorn workers (PORT=$SEED_PORT, DB $db, log $log)"
  [[ -x "$SEED_VENV/bin/uvicorn" ]] || say "first start: building $SEED_VENV from PyPI (one-off)"
  (exec setsid env VENV="$SEED_VENV" DATABASE_URL="$SERVE_URL_BASE/$db" \
    "$HARNESS/servers/seed-fastapi/run.sh" "$SEED_PORT" "$SEED_WORKERS") >"$log" 2>&1 &
  PIDS+=($!)
  wait_ready "http://127.0.0.1:$SEED_PORT/health" "$!" "$log" "the earlier backend"
}

# ---------------------------------------------------------------- data
migrate_project() { # DBNAME
  # The release step and the build step, as a deployment runs them (/readyz answers 503
  # until the static files are collected).
  say "migrate $1, collect static files"
  (cd "$REPO" && export DATABASE_URL="$PG_URL_BASE/$1" DEBUG=0 SECRET_KEY="$SECRET_KEY_BENCH" &&
    "$WEB_VENV/bin/python" manage.py migrate --no-input &&
    "$WEB_VENV/bin/python" manage.py collectstatic --no-input) >"$RUNLOG-migrate-$1.log" 2>&1 ||
    { tail -n 30 "$RUNLOG-migrate-$1.log" >&2; die "migrate or collectstatic failed on $1"; }
}

# NOT NULL columns without a database default, other than the seed's own fields: each
# needs a constant for COPY. Known ones get the model's default; a new one stops the run.
project_extras() { # DBNAME -> --extra args
  local db=$1 col
  for col in $(psql "$PG_URL_BASE/$db" -X -Atc "
      SELECT column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = 'tasks_task' AND is_nullable = 'NO'
        AND column_default IS NULL
        AND column_name NOT IN ('id','user_id','title','description','completed','created_at','updated_at')
      ORDER BY column_name"); do
    case $col in
      priority) echo "--extra priority=0" ;;   # Priority.NONE, the model's default
      *) die "tasks_task.$col is NOT NULL without a default: add it to project_extras() in bench/run.sh" ;;
    esac
  done
}

load_project() { # DBNAME SIZEARGS...
  local db=$1; shift
  say "load $db.tasks_task $*"
  # tasks_task_tags references tasks_task, so the table is emptied with CASCADE here.
  psql "$PG_URL_BASE/$db" -X -qc "TRUNCATE tasks_task, tasks_tag CASCADE"
  local extras
  extras=$(project_extras "$db") || exit 1
  # The migrations made DB_STATEMENT_TIMEOUT (5 s) this database's default; loading
  # 100,000 rows in one COPY on a busy box takes longer, so the loading session lifts it.
  # shellcheck disable=SC2086
  PGOPTIONS="${PGOPTIONS:-} -c statement_timeout=0" \
    "$HARNESS/seed-data.py" --db "$PG_URL_BASE/$db" --table tasks_task --no-truncate \
    $extras "$@" --ids-out "$BENCH_OUT/data/ids-$db-tasks_task.tsv"
  psql "$PG_URL_BASE/$db" -X -qc "ANALYZE"
}

load_seed() { # DBNAME SIZEARGS...
  local db=$1; shift
  say "load $db.task $*"
  "$HARNESS/seed-data.py" --db "$PG_URL_BASE/$db" --create-seed-table "$@" \
    --ids-out "$BENCH_OUT/data/ids-$db-task.tsv"
  psql "$PG_URL_BASE/$db" -X -qc "ANALYZE"
}

# Both ids files must name the same (user, task) pairs: same logical rows on both sides.
check_same_rows() { # IDS_A IDS_B
  if ! cmp -s <(grep -v '^#' "$1") <(grep -v '^#' "$2"); then
    die "ids differ between $1 and $2: the two databases do not hold the same rows"
  fi
}

expect_rows() { # DBNAME TABLE COUNT
  local n
  n=$(psql "$PG_URL_BASE/$1" -X -Atc "SELECT count(*) FROM $2 WHERE user_id NOT LIKE 'wrknew%'" 2>/dev/null || echo 0)
  [[ $n == "$3" ]] || die "--skip-load: $1.$2 holds $n rows, expected $3 (run without --skip-load)"
}

prepare() { # PROJECT_DB SEED_DB ROWS SIZEARGS...
  local pdb=$1 sdb=$2 rows=$3; shift 3
  if ((!SKIP_LOAD)); then
    # Scratch databases: made anew, so an edited migration cannot leave an old schema behind.
    say "recreate databases $pdb and $sdb"
    psql "$PG_URL_BASE/postgres" -X -q -c "DROP DATABASE IF EXISTS \"$pdb\" WITH (FORCE)" \
      -c "DROP DATABASE IF EXISTS \"$sdb\" WITH (FORCE)" || die "cannot drop $pdb / $sdb"
  fi
  ensure_db "$pdb"; ensure_db "$sdb"
  migrate_project "$pdb"
  if ((SKIP_LOAD)); then
    expect_rows "$pdb" tasks_task "$rows"; expect_rows "$sdb" task "$rows"
    [[ -s "$BENCH_OUT/data/ids-$pdb-tasks_task.tsv" && -s "$BENCH_OUT/data/ids-$sdb-task.tsv" ]] ||
      die "--skip-load: ids files missing in $BENCH_OUT/data (run without --skip-load)"
  else
    load_seed "$sdb" "$@"
    load_project "$pdb" "$@"
  fi
  check_same_rows "$BENCH_OUT/data/ids-$sdb-task.tsv" "$BENCH_OUT/data/ids-$pdb-tasks_task.tsv"
  say "tokens for every user of $pdb (and wrknew1..1000 for create)"
  "$HARNESS/mint-tokens.py" "$BENCH_OUT/data/ids-$pdb-tasks_task.tsv" "$BENCH_OUT/data/tokens-$pdb.tsv" >&2
}

# ---------------------------------------------------------------- compare
code_version() {
  local rev
  if rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null); then
    git -C "$REPO" diff --quiet HEAD 2>/dev/null || rev="$rev+uncommitted changes"
    echo "git $rev"
  else
    echo "${CODE_VERSION:-$REPO (not a git checkout)}"
  fi
}

# run_compare PROJECT_DB SEED_DB LABEL [HARNESS_DIR]
run_compare() {
  local pdb=$1 sdb=$2 label=$3 harness=${4:-$HARNESS} out="$RUNLOG-$3"
  local ids_a="$BENCH_OUT/data/ids-$sdb-task.tsv" tokens_a="" db_a="$PG_URL_BASE/$sdb" table_a=task
  if [[ -n "${A_WEB_CMD:-}" ]]; then
    # Head-to-head: side A is the project too, served by A_WEB_CMD, on the same database.
    start_project "$pdb" "$SEED_PORT" "$A_WEB_CMD" project-a
    ids_a="$BENCH_OUT/data/ids-$pdb-tasks_task.tsv" tokens_a="$BENCH_OUT/data/tokens-$pdb.tsv"
    db_a="$PG_URL_BASE/$pdb" table_a=tasks_task
  else
    start_seed "$sdb"
  fi
  start_project "$pdb"
  say "compare.sh: A=$NAME_A  B=$NAME_B (this project)  B/A > 1 = B faster"
  {
    echo "# bench/run.sh $label $(date -Is)  code: $(code_version)"
    if [[ -n "${A_WEB_CMD:-}" ]]; then echo "# A = the project: $A_WEB_CMD"
    else echo "# A = earlier backend: seed-fastapi, uvicorn --workers $SEED_WORKERS"; fi
    echo "# B = the project: $(web_command)  WEB_CONCURRENCY=${WEB_CONCURRENCY:-} WEB_THREADS=${WEB_THREADS:-} THROTTLE_USER_RATE=$BENCH_USER_RATE ${WEB_ENV:-}"
    echo "# data: $(psql "$PG_URL_BASE/$pdb" -X -Atc 'SELECT count(*) FROM tasks_task') rows in $pdb.tasks_task = $sdb.task"
    if [[ -n $REMOTE_DB_MS ]]; then
      echo "# database: both servers through netdelay.py, $REMOTE_DB_MS ms each way ($(round_trip "$pdb"))"
    else
      echo "# database: both servers on PostgreSQL directly ($PG_URL_BASE)"
    fi
  } | tee "$out.txt"
  NAME_A="$NAME_A" NAME_B="$NAME_B" \
    IDS_A="$ids_a" IDS_B="$BENCH_OUT/data/ids-$pdb-tasks_task.tsv" \
    TOKENS_A="$tokens_a" TOKENS_B="$BENCH_OUT/data/tokens-$pdb.tsv" \
    DB_A="$db_a" DB_B="$PG_URL_BASE/$pdb" TABLE_A="$table_a" TABLE_B=tasks_task \
    OUT="$out.tsv" LOG="$out.wrk.log" \
    "$harness/compare.sh" "http://127.0.0.1:$SEED_PORT" "http://127.0.0.1:$PROJECT_PORT" | tee -a "$out.txt"
  cpu_per_request "$out.tsv" | tee -a "$out.txt"
  if [[ -n "$SAVE" ]]; then
    mkdir -p "$HERE/results"
    local name=$SAVE; [[ $label == large ]] && name="$SAVE-large"
    cp "$out.txt" "$HERE/results/$name.txt"; cp "$out.tsv" "$HERE/results/$name.tsv"
    say "saved bench/results/$name.txt and .tsv"
  fi
  if ((KEEP)); then
    say "servers left up: $NAME_A http://127.0.0.1:$SEED_PORT  $NAME_B http://127.0.0.1:$PROJECT_PORT (Ctrl-C to stop)"
    while sleep 3600; do :; done
  fi
  stop_servers
}

# CPU per request from compare.sh's raw TSV: the server's CPU (its processes only) and
# PostgreSQL's (every postgres process, so other databases' load shows up there too)
# divided by requests. Unlike req/s this barely moves when other work shares the cores.
cpu_per_request() { # TSV
  python3 - "$1" "$NAME_A" "$NAME_B" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
na, nb = sys.argv[2], sys.argv[3]
print(f"CPU ms per request (median over rounds; server = its own processes, pg = all of PostgreSQL)")
print(f"{'scenario':<13} {na + ' srv':>12} {nb + ' srv':>12} {'B/A':>6}   {na + ' pg':>10} {nb + ' pg':>10}")
for s in dict.fromkeys(r["scenario"] for r in rows):
    def ms(side, key):
        v = [float(r[key]) * 10 / float(r["rps"]) for r in rows
             if r["side"] == side and r["scenario"] == s and float(r["rps"]) > 0]
        return statistics.median(v) if v else float("nan")
    a, b = ms("A", "srvcpu"), ms("B", "srvcpu")
    print(f"{s:<13} {a:>12.2f} {b:>12.2f} {b / a if a else float('nan'):>6.2f}   "
          f"{ms('A', 'pgcpu'):>10.2f} {ms('B', 'pgcpu'):>10.2f}")
PY
}

# The shared harness with this project's extra scenarios (bench/lua: list1000,
# list_filtered, hot_client), without writing to shared/: a folder of links to it, so
# compare.sh finds them beside the others.
overlay_harness() {
  local dir="$BENCH_OUT/data/harness" f
  rm -rf "$dir"; mkdir -p "$dir/lua"
  for f in "$HARNESS"/*.sh; do ln -s "$f" "$dir/"; done
  for f in "$HARNESS"/lua/*.lua "$HERE"/lua/*.lua; do ln -sf "$f" "$dir/lua/"; done
  echo "$dir"
}

# --remote-db: one delaying proxy for both servers (they are measured in turns, never at
# once), in its own process group so that cleanup stops it.
start_netdelay() {
  local log="$RUNLOG-netdelay.log" py=python3
  [[ -x "$SEED_VENV/bin/python" ]] && py="$SEED_VENV/bin/python" # has uvloop: less CPU per chunk
  say "database through netdelay.py: 127.0.0.1:$NETDELAY_PORT -> $host_port, $REMOTE_DB_MS ms each way"
  (exec setsid "$py" "$HARNESS/netdelay.py" "$NETDELAY_PORT" "$host_port" "$REMOTE_DB_MS") >"$log" 2>&1 &
  NETDELAY_PID=$!
  for _ in $(seq 1 50); do
    pg_isready -h 127.0.0.1 -p "$NETDELAY_PORT" -q && return 0
    kill -0 "$NETDELAY_PID" 2>/dev/null || { cat "$log" >&2; die "netdelay.py exited"; }
    sleep 0.2
  done
  die "netdelay.py did not forward to PostgreSQL within 10 s (log: $log)"
}

# The median time of a `SELECT 1` through the delay, as the servers see it.
round_trip() { # DBNAME
  python3 - "$SERVE_URL_BASE/$1" <<'PY' 2>/dev/null || echo "round trip not measured"
import statistics, subprocess, sys, time
# psql runs the statements over one connection; \timing reports each one's wall time.
out = subprocess.run(["psql", sys.argv[1], "-X", "-At", "-c", "\\timing on"]
                     + ["-c", "SELECT 1"] * 21, capture_output=True, text=True, check=True).stdout
times = [float(line.split()[1]) for line in out.splitlines() if line.startswith("Time:")]
print(f"SELECT 1 round trip: median {statistics.median(times):.2f} ms over {len(times)}")
PY
}

[[ -n $REMOTE_DB_MS ]] && start_netdelay

if ((RUN_SMALL)); then
  say "1,000 users x 100 tasks"
  prepare bench_project bench_seed 100000 --users 1000 --tasks 100
  run_compare bench_project bench_seed main "$(overlay_harness)"
fi

if ((RUN_LARGE)); then
  say "1,000 users x 1,000 tasks (1M rows)"
  prepare bench_project_large bench_seed_large 1000000 --large
  export SCENARIOS="${LARGE_SCENARIOS:-list list1000 get}"
  run_compare bench_project_large bench_seed_large large "$(overlay_harness)"
fi
say "done; logs in $BENCH_OUT/logs/run-$TS-*"
