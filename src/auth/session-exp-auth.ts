/** `SessionExpAuth`: in-memory sessions that also end SESSION_DURATION seconds after creation. */
import type { SessionPolicy } from "../sessions/sessions.ts";
import { SessionAuth } from "./session-auth.ts";

export class SessionExpAuth extends SessionAuth {
  get sessionDuration(): number {
    return this.options.sessionDuration;
  }

  /** Ended by time: past SESSION_DURATION since creation, however busy, or idle too long. */
  protected override sessionPolicy(): SessionPolicy {
    return { duration: this.sessionDuration, idleTimeout: this.sessionIdleTimeout };
  }
}
