#!/usr/bin/env bash
# Local backing services for StockHub development and tests: Redis, Postgres 15
# and an S3 endpoint (moto) with signature checking switched on.
#
#   services.sh start  [STATE_DIR]          start (or reuse) all three, print env
#   services.sh stop   [--purge] [STATE_DIR] stop them; --purge also deletes data
#   services.sh status [STATE_DIR]          one line per service; exit 3 if any down
#   services.sh env    [STATE_DIR]          print the env file written by start
#
# STATE_DIR defaults to <repo>/.data/services. Every port is picked free at
# start, so several STATE_DIRs can run side by side. Must run as root (the
# Postgres server runs as the `postgres` OS user). STOCKHUB_READY_TIMEOUT
# (seconds, default 30) bounds each readiness wait.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPT_DIR")
READY_TIMEOUT=${STOCKHUB_READY_TIMEOUT:-30}

# moto counts a request towards INITIAL_NO_AUTH_ACTION_COUNT when it reaches
# moto's per-action auth hook, i.e. every IAM/S3 API call (including ones that
# then fail, and S3 ListBuckets `GET /`), but not moto's own /moto-api/ URLs,
# which we therefore use as the readiness probe. Checked against moto 5.2.1:
# with 3, s3-bootstrap.py's CreateUser, PutUserPolicy and CreateAccessKey pass
# unsigned and its CreateBucket is already signature-checked; one extra API
# call beforehand makes CreateAccessKey fail with InvalidClientTokenId.
S3_NO_AUTH_REQUESTS=3

# Debian keeps the server binaries off PATH; prefer the version we target.
if [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
  PG_BIN=/usr/lib/postgresql/15/bin
else
  PG_BIN=$(dirname "$(command -v pg_ctl || echo /nonexistent/pg_ctl)")
fi

usage() {
  cat >&2 <<'EOF'
usage: services.sh start  [STATE_DIR]
       services.sh stop   [--purge] [STATE_DIR]
       services.sh status [STATE_DIR]
       services.sh env    [STATE_DIR]
EOF
  exit 2
}

die() {
  echo "services: $*" >&2
  exit 1
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
purge=0
state_arg=
for arg in "$@"; do
  case $arg in
    --purge) [[ $cmd == stop ]] || usage; purge=1 ;;
    -*) usage ;;
    *) [[ -z $state_arg ]] || usage; state_arg=$arg ;;
  esac
done
# Absolute, so the env file and pid files stay valid from any working dir.
STATE_DIR=$(realpath -m -- "${state_arg:-$REPO_ROOT/.data/services}")
MARKER=$STATE_DIR/.stockhub-services

# ---------------------------------------------------------------- helpers --

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_free() {
  # SO_REUSEADDR like the servers themselves, so TIME_WAIT leftovers of our
  # own earlier run do not count as "taken".
  python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

new_secret() {
  # Hex only, so it can go into URLs and config files without escaping.
  python3 -c 'import secrets; print(secrets.token_hex(24))'
}

# Prints a state file's content, or nothing if it does not exist.
state() { cat -- "$STATE_DIR/$1" 2>/dev/null || true; }

put_state() { (umask 077 && printf '%s\n' "$2" >"$STATE_DIR/$1"); }

# Is PID alive and really the program we started (guards against pid reuse)?
pid_is() {
  local pid=$1 pattern=$2
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -Eq -- "$pattern"
}

# Gone, or a zombie: an exited daemon whose parent has not reaped it yet.
pid_gone() {
  local st
  st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
  [[ -z $st || $st == Z ]]
}

wait_pid_exit() {
  local pid=$1 i
  for ((i = 0; i < 100; i++)); do
    pid_gone "$pid" && return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# Byte size of a log, so a retry only looks at what the latest attempt wrote
# (logs are kept across runs).
log_size() { stat -c %s -- "$1" 2>/dev/null || echo 0; }

log_since() { tail -c +"$(($2 + 1))" -- "$1" 2>/dev/null || true; }

# Worth another attempt on a new port? Only when the port was taken between
# our check and the server's bind (possible with parallel instances).
port_taken_retry() {
  local log=$1 offset=$2 attempt=$3
  ((attempt < 3)) &&
    log_since "$log" "$offset" | grep -q 'Address already in use\|could not bind'
}

fail_with_log() {
  local name=$1 log=$2
  echo "services: $name failed to start or to become ready (timeout ${READY_TIMEOUT}s); end of $log:" >&2
  tail -n 25 -- "$log" >&2 2>/dev/null || true
  exit 1
}

# The state dir may sit in a 0700 directory the postgres user cannot enter,
# so never run anything as postgres with the caller's working directory.
as_postgres() { (cd / && runuser -u postgres -- "$@"); }

lock_state_dir() {
  # Serialises start/stop on one STATE_DIR; different dirs do not contend.
  # The daemons must not inherit fd 9 (see the `9>&-` where they are
  # started), or they would hold this lock for as long as they run.
  exec 9>"$STATE_DIR/.lock"
  flock -w 120 9 || die "another services.sh holds $STATE_DIR/.lock"
}

# ------------------------------------------------------------------ redis --

redis_pid() { state redis.pid; }
# redis-server retitles itself "redis-server 127.0.0.1:PORT".
redis_running() { pid_is "$(redis_pid)" "^redis-server .*:$(state redis.port)( |\$)"; }

redis_ping() {
  REDISCLI_AUTH=$(state redis.password) \
    redis-cli -h 127.0.0.1 -p "$(state redis.port)" ping 2>/dev/null | grep -q PONG
}

# redis-server daemonizes before it binds, so a bind failure only shows up in
# the log; watch it rather than waiting out the whole timeout.
redis_wait() {
  local log=$1 offset=$2 deadline=$((SECONDS + READY_TIMEOUT))
  until redis_ping; do
    log_since "$log" "$offset" | grep -q 'aborting\|Could not create server' && return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

start_redis() {
  if redis_running; then
    echo "redis: already running on port $(state redis.port)"
    return
  fi
  # Keep the password and data of an earlier run so its env stays valid.
  [[ -n $(state redis.password) ]] || put_state redis.password "$(new_secret)"
  mkdir -p "$STATE_DIR/redis-data"
  local port attempt log=$STATE_DIR/redis.log offset
  port=$(state redis.port)
  for attempt in 1 2 3; do
    offset=$(log_size "$log")
    if [[ -z $port ]] || ! port_free "$port"; then port=$(free_port); fi
    # Config in a file, not on the command line, to keep the password out of ps.
    (
      umask 077
      cat >"$STATE_DIR/redis.conf" <<EOF
bind 127.0.0.1
port $port
protected-mode yes
requirepass $(state redis.password)
daemonize yes
pidfile "$STATE_DIR/redis.pid"
logfile "$log"
dir "$STATE_DIR/redis-data"
appendonly yes
EOF
    )
    put_state redis.port "$port"
    if redis-server "$STATE_DIR/redis.conf" >>"$log" 2>&1 9>&- && redis_wait "$log" "$offset"; then
      echo "redis: started on port $port"
      return
    fi
    port_taken_retry "$log" "$offset" "$attempt" || break
    port=
  done
  fail_with_log redis "$log"
}

stop_redis() {
  local pid
  pid=$(redis_pid)
  if ! redis_running; then
    echo "redis: not running"
    return
  fi
  # AOF is on, so NOSAVE loses nothing and skips writing a redundant RDB.
  REDISCLI_AUTH=$(state redis.password) \
    redis-cli -h 127.0.0.1 -p "$(state redis.port)" shutdown nosave >/dev/null 2>&1 ||
    kill -TERM "$pid" 2>/dev/null || true
  wait_pid_exit "$pid"
  echo "redis: stopped"
}

# --------------------------------------------------------------- postgres --

# Postgres lives outside STATE_DIR: the postgres user must own its data dir
# and cannot traverse a 0700 root-owned checkout.
pg_base() { state pg.base; }
pg_data() { echo "$(pg_base)/data"; }
pg_port() { sed -n 4p "$(pg_data)/postmaster.pid" 2>/dev/null || true; }

pg_running() {
  [[ -n $(pg_base) && -f $(pg_data)/PG_VERSION ]] &&
    as_postgres "$PG_BIN/pg_ctl" -D "$(pg_data)" status >/dev/null 2>&1
}

pg_init() {
  local base
  base=$(mktemp -d /tmp/stockhub-pg.XXXXXX)
  put_state pg.base "$base"
  chown postgres:postgres "$base"
  chmod 700 "$base"
  as_postgres mkdir -m 700 "$base/sock"
  # initdb reads the superuser password from a file the postgres user can read.
  as_postgres sh -c 'umask 077 && cat >"$1"' sh "$base/.pwfile" <<<"$(state pg.superpassword)"
  if ! as_postgres "$PG_BIN/initdb" -D "$base/data" -U postgres --pwfile="$base/.pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C \
    >"$base/initdb.log" 2>&1; then
    rm -f "$base/.pwfile"
    echo "services: initdb failed; end of $base/initdb.log:" >&2
    tail -n 25 "$base/initdb.log" >&2
    exit 1
  fi
  rm -f "$base/.pwfile"
  # Port and socket dir change between runs; keep them in an included file.
  echo "include_if_exists = 'stockhub.conf'" >>"$base/data/postgresql.conf"
}

pg_ensure_roles() {
  # Passwords are hex (see new_secret), so inlining them in SQL is safe.
  as_postgres "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$(pg_base)/sock" -p "$1" \
    -U postgres -d postgres >/dev/null <<EOF
ALTER ROLE postgres PASSWORD '$(state pg.superpassword)';
SELECT 'CREATE ROLE stockhub' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stockhub') \gexec
ALTER ROLE stockhub WITH LOGIN CREATEDB PASSWORD '$(state pg.password)';
SELECT 'CREATE DATABASE stockhub OWNER stockhub' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'stockhub') \gexec
EOF
}

start_postgres() {
  if pg_running; then
    echo "postgres: already running on port $(pg_port)"
    return
  fi
  [[ -n $(state pg.password) ]] || put_state pg.password "$(new_secret)"
  [[ -n $(state pg.superpassword) ]] || put_state pg.superpassword "$(new_secret)"
  if [[ -n $(pg_base) && -f $(pg_data)/PG_VERSION ]]; then
    echo "postgres: reusing data dir $(pg_base)"
  else
    pg_init
  fi
  local base port attempt log offset
  base=$(pg_base)
  log=$base/postgres.log
  port=$(state pg.port)
  for attempt in 1 2 3; do
    offset=$(log_size "$log")
    if [[ -z $port ]] || ! port_free "$port"; then port=$(free_port); fi
    as_postgres sh -c 'cat >"$1"' sh "$base/data/stockhub.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$base/sock'
EOF
    put_state pg.port "$port"
    if as_postgres "$PG_BIN/pg_ctl" -D "$base/data" -l "$log" -w -t "$READY_TIMEOUT" start \
      >/dev/null 2>&1 9>&-; then
      break
    fi
    port_taken_retry "$log" "$offset" "$attempt" || fail_with_log postgres "$log"
    port=
  done
  pg_ensure_roles "$port" || fail_with_log postgres "$log"
  # End-to-end check of what the app will use: TCP plus SCRAM password login.
  PGPASSWORD=$(state pg.password) PGCONNECT_TIMEOUT=5 \
    "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U stockhub -d stockhub -c 'SELECT 1' \
    >/dev/null || fail_with_log postgres "$log"
  echo "postgres: started on port $port (data $base)"
}

stop_postgres() {
  if ! pg_running; then
    echo "postgres: not running"
    return
  fi
  local pid
  pid=$(sed -n 1p "$(pg_data)/postmaster.pid" 2>/dev/null || true)
  as_postgres "$PG_BIN/pg_ctl" -D "$(pg_data)" -m fast -w -t 30 stop >/dev/null
  if [[ -n $pid ]]; then wait_pid_exit "$pid"; fi
  echo "postgres: stopped"
}

# ------------------------------------------------------------------- moto --

moto_pid() { state moto.pid; }
moto_running() { pid_is "$(moto_pid)" "(moto_server|moto\\.server) .*-p $(state moto.port)( |\$)"; }

moto_http_ready() {
  # /moto-api/ is moto's own dashboard: it does not use up the no-auth budget.
  # Gives up early once the process behind the pid file has died (e.g. the
  # port was taken) instead of waiting out the timeout.
  python3 - "$1" "$READY_TIMEOUT" "$STATE_DIR/moto.pid" <<'EOF'
import os, sys, time, urllib.request
port, timeout, pidfile = sys.argv[1], float(sys.argv[2]), sys.argv[3]
start = time.monotonic()
url = f"http://127.0.0.1:{port}/moto-api/"
while True:
    try:
        urllib.request.urlopen(url, timeout=2).read()
        sys.exit(0)
    except OSError:
        pass
    elapsed = time.monotonic() - start
    try:
        os.kill(int(open(pidfile).read()), 0)
    except (OSError, ValueError):
        if elapsed > 2:  # the pid file has had time to appear
            sys.exit(1)
    if elapsed > timeout:
        sys.exit(1)
    time.sleep(0.1)
EOF
}

start_moto() {
  local log=$STATE_DIR/moto.log
  if moto_running; then
    if [[ -s $STATE_DIR/s3.credentials ]]; then
      echo "s3: already running on port $(state moto.port)"
      return
    fi
    # Bootstrap never finished, so its unauthenticated budget may be spent.
    echo "s3: restarting moto whose bootstrap did not complete"
    kill -TERM "$(moto_pid)" 2>/dev/null || true
    wait_pid_exit "$(moto_pid)"
  fi
  rm -f "$STATE_DIR/s3.credentials"
  local moto_cmd=(moto_server)
  command -v moto_server >/dev/null || moto_cmd=(python3 -m moto.server)
  local port attempt offset
  port=$(state moto.port)
  for attempt in 1 2 3; do
    offset=$(log_size "$log")
    if [[ -z $port ]] || ! port_free "$port"; then port=$(free_port); fi
    rm -f "$STATE_DIR/moto.pid"
    put_state moto.port "$port"
    # setsid: own session, so a Ctrl-C or group kill aimed at our caller does
    # not take moto down. The child writes its own pid and then execs moto.
    INITIAL_NO_AUTH_ACTION_COUNT=$S3_NO_AUTH_REQUESTS nohup setsid \
      sh -c 'echo $$ >"$0"; exec "$@"' "$STATE_DIR/moto.pid" \
      "${moto_cmd[@]}" -H 127.0.0.1 -p "$port" >>"$log" 2>&1 </dev/null 9>&- &
    if moto_http_ready "$port"; then break; fi
    port_taken_retry "$log" "$offset" "$attempt" || fail_with_log s3 "$log"
    port=
  done
  # The pid file is written by the child right after the fork; make sure it
  # is the moto we just probed before recording success.
  moto_running || fail_with_log s3 "$log"
  local out
  if ! out=$(python3 "$SCRIPT_DIR/s3-bootstrap.py" --endpoint "http://127.0.0.1:$port" \
    2>>"$log"); then
    fail_with_log "s3 bootstrap" "$log"
  fi
  put_state s3.credentials "$out"
  echo "s3: started on port $port"
}

stop_moto() {
  if ! moto_running; then
    echo "s3: not running"
    return
  fi
  local pid
  pid=$(moto_pid)
  kill -TERM "$pid" 2>/dev/null || true
  wait_pid_exit "$pid"
  # moto keeps everything in memory: its keys are gone with the process.
  rm -f "$STATE_DIR/s3.credentials"
  echo "s3: stopped"
}

# --------------------------------------------------------------- commands --

write_env() {
  local cred_id cred_secret
  cred_id=$(sed -n 's/^S3_ACCESS_KEY_ID=//p' "$STATE_DIR/s3.credentials")
  cred_secret=$(sed -n 's/^S3_SECRET_ACCESS_KEY=//p' "$STATE_DIR/s3.credentials")
  local pg_port_now
  pg_port_now=$(pg_port)
  (
    umask 077
    {
      printf 'export %s=%q\n' \
        REDIS_URL "redis://:$(state redis.password)@127.0.0.1:$(state redis.port)/0" \
        DATABASE_URL "postgres://stockhub:$(state pg.password)@127.0.0.1:$pg_port_now/stockhub" \
        STORAGE_URL "s3://stockhub" \
        S3_ENDPOINT "http://127.0.0.1:$(state moto.port)" \
        S3_REGION "us-east-1" \
        S3_DIALECT "moto" \
        S3_ACCESS_KEY_ID "$cred_id" \
        S3_SECRET_ACCESS_KEY "$cred_secret" \
        STOCKHUB_PG_SUPERUSER_URL "postgres://postgres:$(state pg.superpassword)@127.0.0.1:$pg_port_now/postgres" \
        STOCKHUB_SERVICES_DIR "$STATE_DIR"
    } >"$STATE_DIR/env.tmp"
  )
  mv -f "$STATE_DIR/env.tmp" "$STATE_DIR/env"
}

cmd_start() {
  [[ $(id -u) -eq 0 ]] || die "start must run as root (Postgres runs as the postgres user)"
  # Parallel instances would otherwise race for apt's and pip's locks.
  flock "${TMPDIR:-/tmp}/stockhub-install-deps.lock" bash "$SCRIPT_DIR/install-deps.sh"
  # stop --purge deletes STATE_DIR, so never adopt a directory with content
  # that services.sh did not create.
  if [[ -d $STATE_DIR && ! -f $MARKER && -n $(ls -A -- "$STATE_DIR") ]]; then
    die "$STATE_DIR is not empty and was not created by services.sh; refusing"
  fi
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR"
  touch "$MARKER"
  lock_state_dir
  start_redis
  start_postgres
  start_moto
  write_env
  cat "$STATE_DIR/env"
}

cmd_stop() {
  if [[ ! -d $STATE_DIR ]]; then
    echo "services: nothing in $STATE_DIR"
    return
  fi
  [[ -f $MARKER ]] || die "$STATE_DIR was not created by services.sh; refusing"
  lock_state_dir
  stop_moto
  stop_postgres
  stop_redis
  # Its S3 keys died with moto; `env` should not hand out a stale file.
  rm -f "$STATE_DIR/env"
  if ((purge)); then
    local base
    base=$(pg_base)
    # Only ever delete a directory shaped like the ones pg_init creates.
    if [[ $base == /tmp/stockhub-pg.* && -d $base ]]; then
      rm -rf -- "$base"
      echo "postgres: deleted $base"
    fi
    rm -rf -- "$STATE_DIR"
    echo "services: deleted $STATE_DIR"
  fi
}

cmd_status() {
  local all_up=1
  if redis_running && redis_ping; then
    echo "redis     up    127.0.0.1:$(state redis.port)"
  else
    echo "redis     down"
    all_up=0
  fi
  if pg_running; then
    echo "postgres  up    127.0.0.1:$(pg_port)  data $(pg_base)"
  else
    echo "postgres  down"
    all_up=0
  fi
  if moto_running; then
    echo "s3        up    http://127.0.0.1:$(state moto.port)"
  else
    echo "s3        down"
    all_up=0
  fi
  ((all_up)) || exit 3
}

cmd_env() {
  [[ -f $STATE_DIR/env ]] || die "no env file in $STATE_DIR; run: $0 start"
  cat "$STATE_DIR/env"
}

case $cmd in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) usage ;;
esac
