# Shared by the scenario scripts: start the compiled binary in a throwaway folder and compare
# curl's answers with the transcripts. Ids and timestamps are masked; everything else must match.
# Each script: source this file, call start_server with env assignments, then expect_* lines.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_SOURCE=${SESSION_AUTH_BIN:-$ROOT/dist/session-auth}
[ -x "$BIN_SOURCE" ] || { echo "no executable at $BIN_SOURCE (run npm run build)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/session-auth-scenario.XXXXXX")
# The binary lives in its own folder and runs from another, so data must land beside the binary.
mkdir -p "$WORK/bin" "$WORK/elsewhere"
cp "$BIN_SOURCE" "$WORK/bin/session-auth"
BIN="$WORK/bin/session-auth"
SERVER_PID=""
BASE=""
CHECKS=0

cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [ -f "$WORK/server.log" ]; then
    echo "--- server log ---" >&2
    cat "$WORK/server.log" >&2
  fi
  exit 1
}

# start_server [VAR=value ...]: runs the binary on 127.0.0.1 and a free port (API_PORT=0).
# The log is emptied here, before the server starts and appends to it: the port read below is
# never one the server before wrote, nor read from a log the new server has not opened yet.
start_server() {
  stop_server
  : >"$WORK/server.log"
  (cd "$WORK/elsewhere" && exec env API_HOST=127.0.0.1 API_PORT=0 "$@" "$BIN" >>"$WORK/server.log" 2>&1) &
  SERVER_PID=$!
  local port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.log" 2>/dev/null | head -n 1 || true)
    [ -n "$port" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited at start-up"
    sleep 0.05
  done
  [ -n "$port" ] || fail "the server did not report its port"
  BASE="http://127.0.0.1:$port"
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# cli ARGS...: the same binary as a command line tool, run from another folder.
cli() {
  (cd "$WORK/elsewhere" && "$BIN" "$@")
}

# request PATH [curl args...]: sets STATUS, BODY and HEADERS.
request() {
  local path=$1
  shift
  STATUS=$(curl -sS --max-time 10 -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "$BASE$path" "$@") || fail "curl $path $*"
  BODY=$(cat "$WORK/body")
  HEADERS=$(cat "$WORK/headers")
}

# request_expecting STATUS PATH [curl args...]: request, and fail unless the status matches.
request_expecting() {
  local status=$1
  shift
  request "$@"
  CHECKS=$((CHECKS + 1))
  [ "$STATUS" = "$status" ] || fail "$* → status $STATUS, expected $status; body: $BODY"
}

# expect_json STATUS 'EXPECTED JSON' PATH [curl args...]
expect_json() {
  local expected=$2
  request_expecting "$1" "${@:3}"
  node "$ROOT/scripts/scenarios/json-equal.mjs" "$expected" "$BODY" || fail "${*:3} → body differs"
}

# expect_text STATUS 'EXPECTED TEXT' PATH [curl args...]
expect_text() {
  local expected=$2
  request_expecting "$1" "${@:3}"
  [ "$BODY" = "$expected" ] || fail "${*:3} → body differs:\n$BODY\n--- expected ---\n$expected"
}

# expect_header 'REGEX': the last response has a header line matching it (case-insensitive).
expect_header() {
  CHECKS=$((CHECKS + 1))
  printf '%s' "$HEADERS" | tr -d '\r' | grep -Eiq "$1" || fail "no header matching $1 in:\n$HEADERS"
}

# session_cookie NAME: the session id the last response set.
session_cookie() {
  printf '%s' "$HEADERS" | tr -d '\r' | sed -n "s/^[Ss]et-[Cc]ookie: $1=\([^;]*\).*/\1/p" | head -n 1
}

METHOD_NOT_ALLOWED='<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<title>405 Method Not Allowed</title>
<h1>Method Not Allowed</h1>
<p>The method is not allowed for the requested URL.</p>'

done_checks() {
  echo "ok: $(basename "$0") ($CHECKS checks)"
}
