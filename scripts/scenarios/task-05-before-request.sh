#!/usr/bin/env bash
# Task 5: the login path is excluded from the guard; Basic credentials mean nothing to session_auth.
source "$(dirname "$0")/lib.sh"

cli users create --email bob@hbtn.io --password 'H0lbertonSchool98!' >/dev/null
start_server AUTH_TYPE=session_auth SESSION_NAME=_my_session_id
expect_json 200 '{"status": "OK"}' /api/v1/status
# The transcript predates the login route (404); now that it exists, GET is the wrong method.
expect_text 405 "$METHOD_NOT_ALLOWED" /api/v1/auth_session/login
expect_json 401 '{"error": "Unauthorized"}' /api/v1/users/me
expect_json 403 '{"error": "Forbidden"}' /api/v1/users/me -H "Authorization: Basic Ym9iQGhidG4uaW86SDBsYmVydG9uU2Nob29sOTgh"
expect_json 403 '{"error": "Forbidden"}' /api/v1/users/me --cookie "_my_session_id=5535d4d7-3d77-4d06-8281-495dc3acfe76"
done_checks
