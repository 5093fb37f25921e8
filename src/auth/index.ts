/** AUTH_TYPE → strategy. */
import type { AuthType } from "../config.ts";
import { Auth, type AuthOptions } from "./auth.ts";
import { BasicAuth } from "./basic-auth.ts";
import { SessionAuth } from "./session-auth.ts";
import { SessionDBAuth } from "./session-db-auth.ts";
import { SessionExpAuth } from "./session-exp-auth.ts";

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
