#!/usr/bin/env bash
# Task 7: POST /auth_session/login, every answer of the transcript, then /users/me with the cookie.
source "$(dirname "$0")/lib.sh"

cli users create --email bobsession@hbtn.io --password 'fake pwd' >/dev/null
start_server AUTH_TYPE=session_auth SESSION_NAME=_my_session_id

BOB='{"created_at": "2017-10-16T04:23:04", "email": "bobsession@hbtn.io", "first_name": null, "id": "cf3ddee1-ff24-49e4-a40b-2540333fe992", "last_name": null, "updated_at": "2017-10-16T04:23:04"}'
expect_text 405 "$METHOD_NOT_ALLOWED" /api/v1/auth_session/login -XGET
expect_header '^Allow: POST, OPTIONS$'
expect_json 400 '{"error": "email missing"}' /api/v1/auth_session/login -XPOST
expect_json 400 '{"error": "password missing"}' /api/v1/auth_session/login -XPOST -d "email=guillaume@hbtn.io"
expect_json 404 '{"error": "no user found for this email"}' /api/v1/auth_session/login -XPOST -d "email=guillaume@hbtn.io" -d "password=test"
expect_json 401 '{"error": "wrong password"}' /api/v1/auth_session/login -XPOST -d "email=bobsession@hbtn.io" -d "password=test"
expect_json 200 "$BOB" /api/v1/auth_session/login -XPOST -d "email=bobsession@hbtn.io" -d "password=fake pwd"
expect_header '^Set-Cookie: _my_session_id=[0-9a-f-]{36}; Path=/; HttpOnly; SameSite=Lax$'
expect_header '^Access-Control-Allow-Origin: \*$'
expect_header '^Content-Type: application/json$'
SESSION=$(session_cookie _my_session_id)
expect_json 200 "$BOB" /api/v1/users/me --cookie "_my_session_id=$SESSION"
# curl -F sends multipart/form-data, which request.form also read.
expect_json 200 "$BOB" /api/v1/auth_session/login -F "email=bobsession@hbtn.io" -F "password=fake pwd"
done_checks
