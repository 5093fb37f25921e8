/** AUTH_TYPE → strategy. */
import type { AuthType } from "../config.ts";
import { Auth, type AuthOptions } from "./auth.ts";
import { BasicAuth } from "./basic-auth.ts";
import { SessionAuth } from "./session-auth.ts";
import { SessionDBAuth } from "./session-db-auth.ts";
import { SessionExpAuth } from "./session-exp-auth.ts";

/** Paths the request guard never asks credentials for (MISSION section 4), and the login page. */
export const EXCLUDED_PATHS: readonly string[] = Object.freeze([
  "/",
  "/favicon.ico",
  "/api/v1/status/",
  "/api/v1/unauthorized/",
  "/api/v1/forbidden/",
  "/api/v1/auth_session/login/",
  // Forward authentication answers for itself: 401 (or a redirect), never the guard's 403.
  "/api/v1/auth/verify/",
  // The logout link ends whatever session it finds and redirects, with or without one.
  "/logout/",
]);

/** session_db_auth is the strategy that keeps its sessions in a session store. */
export function keepsStoredSessions(authType: AuthType | null): boolean {
  return authType === "session_db_auth";
}

export function createAuth(authType: AuthType, options: AuthOptions): Auth {
  switch (authType) {
    case "auth":
      return new Auth(options);
    case "basic_auth":
      return new BasicAuth(options);
    case "session_auth":
      return new SessionAuth(options);
    case "session_exp_auth":
      return new SessionExpAuth(options);
    case "session_db_auth":
      return new SessionDBAuth(options);
  }
}

export { Auth, BasicAuth, SessionAuth, SessionDBAuth, SessionExpAuth };
