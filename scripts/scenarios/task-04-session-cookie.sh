#!/usr/bin/env bash
# Task 4: the session cookie is read by name, spaces and all; another name is no cookie at all.
source "$(dirname "$0")/lib.sh"

start_server AUTH_TYPE=session_auth SESSION_NAME=_my_session_id
expect_json 401 '{"error": "Unauthorized"}' /api/v1/users/me
expect_json 403 '{"error": "Forbidden"}' /api/v1/users/me --cookie "_my_session_id=Hello"
expect_json 403 '{"error": "Forbidden"}' /api/v1/users/me --cookie "_my_session_id=C is fun"
expect_json 401 '{"error": "Unauthorized"}' /api/v1/users/me --cookie "_my_session_id_fake"
done_checks
