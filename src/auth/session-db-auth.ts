/** `SessionDBAuth`: sessions as UserSession records on disk, so they survive a restart. */
import { newBaseRecord, parseTimestamp } from "../models/base.ts";
import { removeUserSessions, type UserSessionRecord, type UserSessionStore } from "../models/user-session.ts";
import type { AuthOptions } from "./auth.ts";
import { sessionKey } from "./session-auth.ts";
import { SessionExpAuth } from "./session-exp-auth.ts";

export class SessionDBAuth extends SessionExpAuth {
  private readonly userSessions: UserSessionStore;

  constructor(options: AuthOptions) {
    super(options);
    if (!options.userSessions) throw new Error("session_db_auth needs a UserSession store");
    this.userSessions = options.userSessions;
  }

  /** Stores a new UserSession; resolves with the session id once the record is on disk. */
  override async createSession(userId: unknown = null): Promise<string | null> {
    if (typeof userId !== "string") return null;
    const sessionId = crypto.randomUUID();
    await this.userSessions.save({ ...newBaseRecord(this.options.clock), user_id: userId, session_id: sessionKey(sessionId) });
    return sessionId;
  }

  override async userIdForSessionId(sessionId: unknown = null): Promise<string | null> {
    return (await this.liveRecord(sessionId))?.user_id ?? null;
  }

  override async destroySession(request: Request | null | undefined = null): Promise<boolean> {
    if (!request) return false;
    const record = await this.liveRecord(this.sessionCookie(request));
    return record !== null && (await this.userSessions.remove(record.id));
  }

  /** Without waiting when the store holds its records in memory; an expired session is left to liveRecord, which purges it. */
  protected override userIdNow(sessionId: unknown): string | null | undefined {
    if (typeof sessionId !== "string") return null;
    if (!this.userSessions.searchNow) return undefined;
    const [record] = this.userSessions.searchNow({ session_id: sessionKey(sessionId) });
    if (!record) return null;
    return this.hasExpired(record) ? undefined : record.user_id;
  }

  /** The unexpired UserSession a session id names, or null; an expired one is purged on sight. */
  private async liveRecord(sessionId: unknown): Promise<UserSessionRecord | null> {
    if (typeof sessionId !== "string") return null;
    const [record] = await this.userSessions.search({ session_id: sessionKey(sessionId) });
    if (!record) return null;
    if (this.hasExpired(record)) {
      // If the write fails the record is still refused.
      await this.userSessions.remove(record.id).catch(() => {});
      return null;
    }
    return record;
  }

  /** Whether a stored session has expired; its timestamp is read only when sessions expire. */
  private hasExpired(record: UserSessionRecord): boolean {
    return this.sessionDuration > 0 && this.isExpired(parseTimestamp(record.created_at));
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

  override destroyUserSessions(userId: string): Promise<number> {
    return removeUserSessions(this.userSessions, userId);
  }
}
