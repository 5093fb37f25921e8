#!/usr/bin/env bash
# Task 10: session_db_auth keeps sessions in .db_UserSession.json beside the binary; they
# survive a restart and expire as in task 9 (3 s instead of 60 s).
source "$(dirname "$0")/lib.sh"

cli users create --email bobsession@hbtn.io --password 'fake pwd' >/dev/null
start_server AUTH_TYPE=session_db_auth SESSION_NAME=_my_session_id SESSION_DURATION=3

BOB='{"created_at": "2017-10-16T04:23:04", "email": "bobsession@hbtn.io", "first_name": null, "id": "cf3ddee1-ff24-49e4-a40b-2540333fe992", "last_name": null, "updated_at": "2017-10-16T04:23:04"}'
expect_json 200 "$BOB" /api/v1/auth_session/login -XPOST -d "email=bobsession@hbtn.io" -d "password=fake pwd"
SESSION=$(session_cookie _my_session_id)
ls "$WORK"/bin/.db_UserSession.json* >/dev/null 2>&1 || fail "no .db_UserSession.json (or its journal) next to the binary"
grep -q "$SESSION" "$WORK"/bin/.db_UserSession.json* && fail "the session id is stored in clear"
expect_json 200 "$BOB" /api/v1/users/me --cookie "_my_session_id=$SESSION"

start_server AUTH_TYPE=session_db_auth SESSION_NAME=_my_session_id SESSION_DURATION=3
expect_json 200 "$BOB" /api/v1/users/me --cookie "_my_session_id=$SESSION"
sleep 4
expect_json 403 '{"error": "Forbidden"}' /api/v1/users/me --cookie "_my_session_id=$SESSION"

expect_json 200 "$BOB" /api/v1/auth_session/login -XPOST -d "email=bobsession@hbtn.io" -d "password=fake pwd"
SESSION=$(session_cookie _my_session_id)
expect_json 200 '{}' /api/v1/auth_session/logout --cookie "_my_session_id=$SESSION" -XDELETE
expect_json 403 '{"error": "Forbidden"}' /api/v1/users/me --cookie "_my_session_id=$SESSION"
done_checks
