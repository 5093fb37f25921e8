/** `SessionDBAuth`: sessions as UserSession records in a session store, so they survive a restart. */
import { formatTimestamp, newBaseRecord } from "../models/base.ts";
import { andThen, type MaybePromise } from "../models/record-store.ts";
import type { SessionStore } from "../models/session-store.ts";
import { storedTimes, type UserSessionRecord } from "../models/user-session.ts";
import type { AuthOptions, FoundSession, NewSessionOptions } from "./auth.ts";
import { sessionKey, shortUserAgent } from "./session-auth.ts";
import { SessionExpAuth } from "./session-exp-auth.ts";

/** A stored session as the strategies see it: its record id is how it is ended and how its owner names it. */
function found(record: UserSessionRecord): FoundSession {
  const times = storedTimes(record);
  return {
    key: record.id,
    publicId: record.id,
    userId: record.user_id,
    fingerprint: record.password_fingerprint ?? null,
    createdAt: times.start,
    lastUsedAt: times.lastUse,
    clientAddress: record.client_address ?? null,
    userAgent: record.user_agent ?? null,
  };
}

export class SessionDBAuth extends SessionExpAuth {
  private readonly sessions: SessionStore;

  constructor(options: AuthOptions) {
    super(options);
    if (!options.sessions) throw new Error("session_db_auth needs a session store");
    this.sessions = options.sessions;
  }

  /** Stores a new UserSession; resolves with the session id once the record is on disk. */
  override async createSession(userId: unknown = null, options: NewSessionOptions = {}): Promise<string | null> {
    if (typeof userId !== "string") return null;
    const sessionId = crypto.randomUUID();
    const record: UserSessionRecord = { ...newBaseRecord(this.options.clock), user_id: userId, session_id: sessionKey(sessionId) };
    if (options.fingerprint !== undefined) record.password_fingerprint = options.fingerprint;
    if (options.clientAddress) record.client_address = options.clientAddress;
    const userAgent = shortUserAgent(options.userAgent);
    if (userAgent) record.user_agent = userAgent;
    await this.sessions.create(record);
    return sessionId;
  }

  /**
   * The live stored session a session id names, or null; one that ended by time is removed on
   * sight. A use is recorded in the store when one is due.
   */
  protected override findSession(sessionId: unknown): MaybePromise<FoundSession | null> {
    if (typeof sessionId !== "string") return null;
    return andThen(this.sessions.findByKey(sessionKey(sessionId)), (record) => {
      if (!record) return null;
      const session = found(record);
      if (this.hasEnded(session)) {
        // Removed on sight; if the write fails the session is still refused.
        return this.sessions.remove(record.id).then(
          () => null,
          () => null,
        );
      }
      const now = this.options.clock();
      if (!this.useIsDue(session, now)) return session;
      // Once a minute at most, the request waits for the record of its use, so that the next one
      // (here or in another instance) sees it. A failed record costs nothing but an earlier idle
      // end; the next use tries again.
      return this.sessions.touch(record.id, { last_used_at: formatTimestamp(now) }).then(
        () => {
          session.lastUsedAt = now;
          return session;
        },
        () => session,
      );
    });
  }

  protected override endSession(session: FoundSession): Promise<boolean> {
    return this.sessions.remove(session.key);
  }

  protected override async storedSessions(userId: string): Promise<FoundSession[]> {
    return (await this.sessions.list(userId)).map(found);
  }

  override async refreshFingerprint(session: FoundSession, fingerprint: string, expected?: string): Promise<boolean> {
    return this.sessions.touch(session.key, { password_fingerprint: fingerprint }, expected === undefined ? undefined : { password_fingerprint: expected });
  }

  /** Removes the stored sessions past SESSION_DURATION, and those idle past SESSION_IDLE_TIMEOUT: a call to the store each. */
  override async purgeExpired(): Promise<number> {
    const now = this.options.clock();
    let purged = 0;
    if (this.sessionDuration > 0) purged += await this.sessions.removeCreatedBefore(now - this.sessionDuration * 1000);
    if (this.sessionIdleTimeout > 0) purged += await this.sessions.removeUnusedSince(now - this.sessionIdleTimeout * 1000);
    return purged;
  }
}
