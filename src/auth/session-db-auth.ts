/** `SessionDBAuth`: sessions as UserSession records on disk, so they survive a restart. */
import { newBaseRecord } from "../models/base.ts";
import { andThen, type MaybePromise } from "../models/record-store.ts";
import { storedSessionStart, type UserSessionRecord, type UserSessionStore } from "../models/user-session.ts";
import type { AuthOptions } from "./auth.ts";
import { type FoundSession, type NewSessionOptions, sessionKey } from "./session-auth.ts";
import { SessionExpAuth } from "./session-exp-auth.ts";

export class SessionDBAuth extends SessionExpAuth {
  private readonly userSessions: UserSessionStore;

  constructor(options: AuthOptions) {
    super(options);
    if (!options.userSessions) throw new Error("session_db_auth needs a UserSession store");
    this.userSessions = options.userSessions;
  }

  /** Stores a new UserSession; resolves with the session id once the record is on disk. */
  override async createSession(userId: unknown = null, options: NewSessionOptions = {}): Promise<string | null> {
    if (typeof userId !== "string") return null;
    const sessionId = crypto.randomUUID();
    const record: UserSessionRecord = { ...newBaseRecord(this.options.clock), user_id: userId, session_id: sessionKey(sessionId) };
    if (options.fingerprint !== undefined) record.password_fingerprint = options.fingerprint;
    await this.userSessions.save(record);
    return sessionId;
  }

  /** The unexpired stored session a session id names, or null; an expired one is purged on sight. */
  protected override findSession(sessionId: unknown): MaybePromise<FoundSession | null> {
    if (typeof sessionId !== "string") return null;
    return andThen(this.userSessions.search({ session_id: sessionKey(sessionId) }), ([record]) => {
      if (!record) return null;
      if (this.hasExpired(record)) {
        // Purged on sight; if the write fails the record is still refused.
        return this.userSessions.remove(record.id).then(
          () => null,
          () => null,
        );
      }
      return { key: record.id, userId: record.user_id, fingerprint: record.password_fingerprint ?? null };
    });
  }

  protected override endSession(found: FoundSession): Promise<boolean> {
    return this.userSessions.remove(found.key);
  }

  /** Whether a stored session has expired; its timestamp is read only when sessions expire. */
  private hasExpired(record: UserSessionRecord): boolean {
    return this.sessionDuration > 0 && this.isExpired(storedSessionStart(record));
  }

  /**
   * Removes expired UserSession records. Sessions are never updated, so the oldest come first
   * and the sweep stops at the first live one: its cost is what it removes, not what is stored.
   */
  override async purgeExpired(): Promise<number> {
    if (this.sessionDuration <= 0 || this.userSessions.selfExpiring) return 0;
    const expired: string[] = [];
    for await (const record of this.userSessions.scan()) {
      if (!this.hasExpired(record)) break;
      expired.push(record.id);
    }
    await Promise.all(expired.map((id) => this.userSessions.remove(id)));
    return expired.length;
  }
}
