#!/usr/bin/env bash
# Task 0: GET /users/me under basic_auth (the user comes from the CLI instead of main_0.py).
source "$(dirname "$0")/lib.sh"

cli users create --email bob@hbtn.io --password 'H0lbertonSchool98!' >/dev/null
[ -f "$WORK/bin/.db_User.json" ] || fail "the CLI did not keep .db_User.json next to the binary"
start_server AUTH_TYPE=basic_auth

BOB='{"created_at": "2017-09-25T01:55:17", "email": "bob@hbtn.io", "first_name": null, "id": "9375973a-68c7-46aa-b135-29f79e837495", "last_name": null, "updated_at": "2017-09-25T01:55:17"}'
expect_json 200 '{"status": "OK"}' /api/v1/status
expect_json 401 '{"error": "Unauthorized"}' /api/v1/users
expect_json 200 "[$BOB]" /api/v1/users -H "Authorization: Basic Ym9iQGhidG4uaW86SDBsYmVydG9uU2Nob29sOTgh"
expect_json 200 "$BOB" /api/v1/users/me -H "Authorization: Basic Ym9iQGhidG4uaW86SDBsYmVydG9uU2Nob29sOTgh"
[ ! -e "$WORK/elsewhere/.db_User.json" ] || fail "data was written to the working folder"
done_checks
