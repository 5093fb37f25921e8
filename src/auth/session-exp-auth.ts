/** `SessionExpAuth`: in-memory sessions that expire SESSION_DURATION seconds after creation. */
import type { MaybePromise } from "../models/record-store.ts";
import { type FoundSession, SessionAuth } from "./session-auth.ts";

export class SessionExpAuth extends SessionAuth {
  get sessionDuration(): number {
    return this.options.sessionDuration;
  }

  protected override findSession(sessionId: unknown): MaybePromise<FoundSession | null> {
    const session = this.memorySession(sessionId);
    if (session !== null && this.isExpired(session.createdAt)) {
      this.forgetSession(session.key);
      return null;
    }
    return session;
  }

  override sessionLifetime(): number {
    return this.sessionDuration;
  }

  /** Removes expired sessions, oldest first, stopping at the first live one; returns how many. */
  override async purgeExpired(): Promise<number> {
    let purged = 0;
    for (const [key, session] of this.userIdBySessionId) {
      if (!this.isExpired(session.createdAt)) break;
      this.forgetSession(key);
      purged += 1;
    }
    return purged;
  }

  override cookieMaxAge(): number | undefined {
    return this.sessionDuration > 0 ? this.sessionDuration : undefined;
  }

  /** Expired once `created_at + session_duration` lies before now; never when the duration is <= 0. */
  protected isExpired(createdAtMs: number): boolean {
    if (this.sessionDuration <= 0) return false;
    if (!Number.isFinite(createdAtMs)) return true;
    return createdAtMs + this.sessionDuration * 1000 < this.options.clock();
  }
}
