#!/bin/sh
# npm start: builds dist/session-auth and becomes it (exec), so that a signal to the process npm
# started (systemd, pm2, a container stopping it) reaches the server itself. The binary reads
# dist/.env and then ./.env; the real environment wins over both. Session authentication is
# the one default added here, and only when neither the environment nor those files set AUTH_TYPE.
set -e
bun run build
if [ -z "${AUTH_TYPE+set}" ] && ! grep -Eqs '^[[:space:]]*(export[[:space:]]+)?AUTH_TYPE[[:space:]]*=' dist/.env .env; then
  export AUTH_TYPE=session_auth
fi
exec dist/session-auth serve
