/** `SessionDBAuth`: sessions as UserSession records in a session store, so they survive a restart. */
import { newBaseRecord } from "../models/base.ts";
import { andThen, type MaybePromise } from "../models/record-store.ts";
import type { SessionStore } from "../models/session-store.ts";
import { storedSessionStart, type UserSessionRecord } from "../models/user-session.ts";
import type { AuthOptions, NewSessionOptions } from "./auth.ts";
import { type FoundSession, sessionKey } from "./session-auth.ts";
import { SessionExpAuth } from "./session-exp-auth.ts";

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
    await this.sessions.create(record);
    return sessionId;
  }

  /** The unexpired stored session a session id names, or null; an expired one is purged on sight. */
  protected override findSession(sessionId: unknown): MaybePromise<FoundSession | null> {
    if (typeof sessionId !== "string") return null;
    return andThen(this.sessions.findByKey(sessionKey(sessionId)), (record) => {
      if (!record) return null;
      if (this.hasExpired(record)) {
        // Purged on sight; if the write fails the record is still refused.
        return this.sessions.remove(record.id).then(
          () => null,
          () => null,
        );
      }
      return { key: record.id, userId: record.user_id, fingerprint: record.password_fingerprint ?? null };
    });
  }

  protected override endSession(found: FoundSession): Promise<boolean> {
    return this.sessions.remove(found.key);
  }

  /** Whether a stored session has expired; its timestamp is read only when sessions expire. */
  private hasExpired(record: UserSessionRecord): boolean {
    return this.sessionDuration > 0 && this.isExpired(storedSessionStart(record));
  }

  /** Removes the stored sessions created more than SESSION_DURATION ago: one call to the store. */
  override purgeExpired(): Promise<number> {
    if (this.sessionDuration <= 0) return Promise.resolve(0);
    return this.sessions.removeCreatedBefore(this.options.clock() - this.sessionDuration * 1000);
  }
}
