#!/usr/bin/env bash
# Every test, PostgreSQL and Redis included: starts throwaway servers on free ports on
# 127.0.0.1 (scripts/dev-services.sh), runs `bun test` against them, and stops them whatever
# happens. Arguments go to bun test (a file, --timeout …).
set -uo pipefail
cd "$(dirname "$0")/.."
export SESSION_AUTH_SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/session-auth-services.XXXXXX")
trap 'bash scripts/dev-services.sh down' EXIT
services=$(bash scripts/dev-services.sh up) || { echo "cannot start PostgreSQL and Redis (their logs are above)" >&2; exit 1; }
eval "$services"
export TEST_DATABASE_URL=$DATABASE_URL TEST_REDIS_URL=$REDIS_URL
unset DATABASE_URL REDIS_URL
bun test --timeout 30000 "$@"
