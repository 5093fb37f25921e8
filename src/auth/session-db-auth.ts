/** `SessionDBAuth`: sessions as UserSession records in a session store, so they survive a restart. */
import type { SessionStore } from "../storage/session-store.ts";
import type { AuthOptions } from "./auth.ts";
import { SessionExpAuth } from "./session-exp-auth.ts";

export class SessionDBAuth extends SessionExpAuth {
  /** The store the server opened: `.db_UserSession.json`, PostgreSQL or Redis. */
  protected override sessionStore(options: AuthOptions): SessionStore {
    if (!options.sessions) throw new Error("session_db_auth needs a session store");
    return options.sessions;
  }

  /** Stored sessions go with their user, by the stores: none is kept in this process. */
  override forgetUserSessions(_userId: string): number {
    return 0;
  }
}
