#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on 127.0.0.1 for tests and development (not the system
# services): `up` starts them in a folder of their own, on ports free at that moment (or
# PG_PORT / REDIS_PORT), and prints the variables to use; `down` stops them and removes the
# folder. When one does not start, its log is printed before `up` fails. Needs Debian's
# postgresql and redis-server packages (apt-get install postgresql redis-server).
set -euo pipefail

STATE=${SESSION_AUTH_SERVICES_DIR:-${TMPDIR:-/tmp}/session-auth-services}
# Absolute, since PostgreSQL's tools run from / (below).
case "$STATE" in /*) ;; *) STATE=$PWD/$STATE ;; esac

# A port nothing listens on now, from the kernel (node is there wherever npm is).
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# The log of a service that failed, on standard error, while its folder still exists.
show_log() {
  echo "--- $1 ---" >&2
  cat "$1" >&2 2>/dev/null || echo "(no log)" >&2
}

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
  echo "$bin"
}

# PostgreSQL refuses to run as root; as root, run it as the postgres user the package made.
# From /: its tools stop when they cannot enter the working folder (a clone in a folder of
# mode 0700 is one the postgres user cannot enter).
as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}

# Where PostgreSQL keeps its data, socket and log: $STATE/pg, or, when the postgres user
# cannot reach $STATE (it lies in a folder only root may enter), a folder of its own under
# /tmp, named in $STATE/pg-dir so that `down` finds it.
pg_state() {
  if [ -f "$STATE/pg-dir" ]; then cat "$STATE/pg-dir"; return; fi
  if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -w "$STATE" 2>/dev/null; then echo "$STATE"; return; fi
  local own
  own=$(mktemp -d /tmp/session-auth-pg.XXXXXX)
  chown postgres "$own"
  echo "$own" >"$STATE/pg-dir"
  echo "$own"
}

up() {
  command -v redis-server >/dev/null || { echo "Redis is not installed (apt-get install redis-server)" >&2; exit 1; }
  local bin pg_port redis_port pg
  bin=$(pg_bin)
  pg_port=${PG_PORT:-$(free_port)}
  redis_port=${REDIS_PORT:-$(free_port)}
  mkdir -p "$STATE"
  if [ "$(id -u)" = 0 ]; then chown postgres "$STATE"; fi
  pg=$(pg_state)
  if [ ! -f "$pg/pg/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$pg/pg" -U session_auth --auth=trust >/dev/null || { show_log "$pg/pg.log"; exit 1; }
  fi
  as_pg "$bin/pg_ctl" -D "$pg/pg" -l "$pg/pg.log" -w -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg -c max_connections=300 -c fsync=on" start >/dev/null ||
    { echo "PostgreSQL did not start on 127.0.0.1:$pg_port" >&2; show_log "$pg/pg.log"; exit 1; }
  as_pg "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U session_auth -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'session_auth'" | grep -q 1 ||
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U session_auth session_auth
  redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --dir "$STATE" --save "" --appendonly no \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"
  local ready=no
  for _ in $(seq 1 50); do
    if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then ready=yes; break; fi
    sleep 0.1
  done
  [ "$ready" = yes ] || { echo "Redis did not start on 127.0.0.1:$redis_port" >&2; show_log "$STATE/redis.log"; exit 1; }
  echo "export DATABASE_URL=postgres://session_auth@127.0.0.1:$pg_port/session_auth"
  echo "export REDIS_URL=redis://127.0.0.1:$redis_port"
}

down() {
  local pg=$STATE
  if [ -f "$STATE/pg-dir" ]; then pg=$(cat "$STATE/pg-dir"); fi
  if [ -f "$pg/pg/PG_VERSION" ]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$pg/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$STATE/redis.pid" ]; then
    kill "$(cat "$STATE/redis.pid")" 2>/dev/null || true
  fi
  if [ "$pg" != "$STATE" ]; then rm -rf "$pg"; fi
  rm -rf "$STATE"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
