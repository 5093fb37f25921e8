#!/usr/bin/env bash
# Task 1: AUTH_TYPE=session_auth switches the strategy; the guard still works.
source "$(dirname "$0")/lib.sh"

start_server AUTH_TYPE=session_auth
expect_json 200 '{"status": "OK"}' /api/v1/status
expect_json 200 '{"status": "OK"}' /api/v1/status/
expect_json 401 '{"error": "Unauthorized"}' /api/v1/users
expect_json 403 '{"error": "Forbidden"}' /api/v1/users -H "Authorization: Test"
done_checks
