#!/usr/bin/env bash
# Task 9: session_exp_auth. The transcript's 60 s becomes 3 s: valid after 1 s, refused after 4 s.
source "$(dirname "$0")/lib.sh"

cli users create --email bobsession@hbtn.io --password 'fake pwd' >/dev/null
start_server AUTH_TYPE=session_exp_auth SESSION_NAME=_my_session_id SESSION_DURATION=3

BOB='{"created_at": "2017-10-16T04:23:04", "email": "bobsession@hbtn.io", "first_name": null, "id": "cf3ddee1-ff24-49e4-a40b-2540333fe992", "last_name": null, "updated_at": "2017-10-16T04:23:04"}'
expect_json 200 "$BOB" /api/v1/auth_session/login -XPOST -d "email=bobsession@hbtn.io" -d "password=fake pwd"
expect_header '^Set-Cookie: _my_session_id=[0-9a-f-]{36}; Max-Age=3; Path=/; HttpOnly; SameSite=Lax$'
SESSION=$(session_cookie _my_session_id)
expect_json 200 "$BOB" /api/v1/users/me --cookie "_my_session_id=$SESSION"
sleep 1
expect_json 200 "$BOB" /api/v1/users/me --cookie "_my_session_id=$SESSION"
sleep 3
expect_json 403 '{"error": "Forbidden"}' /api/v1/users/me --cookie "_my_session_id=$SESSION"
done_checks
