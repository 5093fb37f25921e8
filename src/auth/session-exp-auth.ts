/** `SessionExpAuth`: in-memory sessions that also end SESSION_DURATION seconds after creation. */
import type { FoundSession } from "./auth.ts";
import { SessionAuth } from "./session-auth.ts";

export class SessionExpAuth extends SessionAuth {
  get sessionDuration(): number {
    return this.options.sessionDuration;
  }

  /** The shorter of the two limits that are set; 0 when neither is. */
  override sessionLifetime(): number {
    const limits = [this.sessionDuration, this.sessionIdleTimeout].filter((seconds) => seconds > 0);
    return limits.length > 0 ? Math.min(...limits) : 0;
  }

  override cookieMaxAge(): number | undefined {
    return this.sessionDuration > 0 ? this.sessionDuration : undefined;
  }

  /** Ended by time: past SESSION_DURATION since creation, however busy, or idle too long. */
  protected override hasEnded(session: FoundSession): boolean {
    return this.isExpired(session.createdAt) || super.hasEnded(session);
  }

  /** Expired once `created_at + session_duration` lies before now; never when the duration is <= 0. */
  protected isExpired(createdAtMs: number): boolean {
    if (this.sessionDuration <= 0) return false;
    if (!Number.isFinite(createdAtMs)) return true;
    return createdAtMs + this.sessionDuration * 1000 < this.options.clock();
  }
}
