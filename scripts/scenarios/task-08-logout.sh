#!/usr/bin/env bash
# Task 8: DELETE /auth_session/logout ends the session.
source "$(dirname "$0")/lib.sh"

cli users create --email bobsession@hbtn.io --password 'fake pwd' >/dev/null
start_server AUTH_TYPE=session_auth SESSION_NAME=_my_session_id

BOB='{"created_at": "2017-10-16T04:23:04", "email": "bobsession@hbtn.io", "first_name": null, "id": "cf3ddee1-ff24-49e4-a40b-2540333fe992", "last_name": null, "updated_at": "2017-10-16T04:23:04"}'
expect_json 200 "$BOB" /api/v1/auth_session/login -XPOST -d "email=bobsession@hbtn.io" -d "password=fake pwd"
SESSION=$(session_cookie _my_session_id)
expect_json 200 "$BOB" /api/v1/users/me --cookie "_my_session_id=$SESSION"
expect_text 405 "$METHOD_NOT_ALLOWED" /api/v1/auth_session/logout --cookie "_my_session_id=$SESSION"
expect_json 200 '{}' /api/v1/auth_session/logout --cookie "_my_session_id=$SESSION" -XDELETE
expect_header '^Set-Cookie: _my_session_id=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax$'
expect_json 403 '{"error": "Forbidden"}' /api/v1/users/me --cookie "_my_session_id=$SESSION"
done_checks
