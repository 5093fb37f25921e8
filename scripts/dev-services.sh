#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on 127.0.0.1 for tests and development (not the system
# services): `up` starts them in a folder of their own and prints the variables to use,
# `down` stops them and removes the folder. Needs Debian's postgresql and redis-server
# packages (apt-get install postgresql redis-server).
set -euo pipefail

STATE=${SESSION_AUTH_SERVICES_DIR:-${TMPDIR:-/tmp}/session-auth-services}
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
  echo "$bin"
}

# PostgreSQL refuses to run as root; as root, run it as the postgres user the package made.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

up() {
  command -v redis-server >/dev/null || { echo "Redis is not installed (apt-get install redis-server)" >&2; exit 1; }
  local bin
  bin=$(pg_bin)
  mkdir -p "$STATE"
  [ "$(id -u)" = 0 ] && chown postgres "$STATE"
  if [ ! -f "$STATE/pg/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$STATE/pg" -U session_auth --auth=trust >/dev/null
  fi
  as_pg "$bin/pg_ctl" -D "$STATE/pg" -l "$STATE/pg.log" -w -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $STATE -c max_connections=300 -c fsync=on" start >/dev/null
  as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U session_auth -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'session_auth'" | grep -q 1 ||
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U session_auth session_auth
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --dir "$STATE" --save "" --appendonly no \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"
  for _ in $(seq 1 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "export DATABASE_URL=postgres://session_auth@127.0.0.1:$PG_PORT/session_auth"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
}

down() {
  if [ -f "$STATE/pg/PG_VERSION" ]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$STATE/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$STATE/redis.pid" ]; then
    kill "$(cat "$STATE/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
