/** `SessionAuth`: sessions in memory, named by a cookie, ended after SESSION_IDLE_TIMEOUT without use. */
import { andThen, type MaybePromise } from "../models/record-store.ts";
import { fingerprintStands, type UserRecord } from "../models/user.ts";
import { Auth, type FoundSession, type NewSessionOptions, type SessionKeeper } from "./auth.ts";

export type { FoundSession } from "./auth.ts";

/** A session is marked used at most this often, so that a busy one does not write on every request. */
export const RECORD_USE_EVERY_MS = 60_000;

/** Session ids are kept only as SHA-256, so memory and files never hold a usable cookie. */
export function sessionKey(sessionId: string): string {
  return Bun.SHA256.hash(sessionId, "hex");
}

/** The longest user agent a session keeps: enough to tell one browser from another. */
const USER_AGENT_LENGTH = 120;

/** A user agent as a session keeps it: printable characters only, shortened. */
export function shortUserAgent(userAgent: string | null | undefined): string | null {
  if (!userAgent) return null;
  const printable = userAgent.replace(/[^\x20-\x7e]/g, "").trim();
  if (printable === "") return null;
  return printable.length > USER_AGENT_LENGTH ? `${printable.slice(0, USER_AGENT_LENGTH - 1)}…` : printable;
}

export class SessionAuth extends Auth implements SessionKeeper {
  /** sessionKey(session id) → session; the original's `user_id_by_session_id`. */
  readonly userIdBySessionId = new Map<string, FoundSession>();
  /** user id → its session keys, so that all of a user's sessions can be ended at once. */
  private readonly sessionKeysByUser = new Map<string, Set<string>>();

  /** A new session id for `userId` (a random UUID v4: 122 bits from the CSPRNG), or null. */
  async createSession(userId: unknown = null, options: NewSessionOptions = {}): Promise<string | null> {
    if (typeof userId !== "string") return null;
    const sessionId = crypto.randomUUID();
    const key = sessionKey(sessionId);
    const now = this.options.clock();
    this.userIdBySessionId.set(key, {
      key,
      publicId: crypto.randomUUID(),
      userId,
      fingerprint: options.fingerprint ?? null,
      createdAt: now,
      lastUsedAt: now,
      clientAddress: options.clientAddress ?? null,
      userAgent: shortUserAgent(options.userAgent),
    });
    let keys = this.sessionKeysByUser.get(userId);
    if (!keys) this.sessionKeysByUser.set(userId, (keys = new Set()));
    keys.add(key);
    return sessionId;
  }

  /** The user id for a session id, or null unless it is a known string. */
  userIdForSessionId(sessionId: unknown = null): MaybePromise<string | null> {
    return andThen(this.findSession(sessionId), (found) => found?.userId ?? null);
  }

  override currentUser(request: Request | null | undefined): MaybePromise<UserRecord | null> {
    const sessionId = this.sessionCookie(request);
    return andThen(this.findSession(sessionId), (found) =>
      found === null ? null : andThen(this.options.users.get(found.userId), (user) => this.standing(sessionId, found, user)),
    );
  }

  /** Logout: false without a request, a cookie or a known session; else ends it and returns true. */
  async destroySession(request: Request | null | undefined = null): Promise<boolean> {
    if (!request) return false;
    return this.destroySessionId(this.sessionCookie(request));
  }

  /** Ends the session a session id names; false if there is none. */
  async destroySessionId(sessionId: unknown): Promise<boolean> {
    const found = await this.findSession(sessionId);
    return found !== null && this.endSession(found);
  }

  override sessionKeeper(): SessionKeeper {
    return this;
  }

  override forgetUserSessions(userId: string): number {
    const keys = this.sessionKeysByUser.get(userId);
    if (!keys) return 0;
    for (const key of keys) this.userIdBySessionId.delete(key);
    this.sessionKeysByUser.delete(userId);
    return keys.size;
  }

  /** `Max-Age` for the session cookie, when sessions expire. */
  cookieMaxAge(): number | undefined {
    return undefined;
  }

  requestSession(request: Request): MaybePromise<FoundSession | null> {
    return this.findSession(this.sessionCookie(request));
  }

  /** The sessions that stand: not ended by time, and opened under the user's present password. */
  async userSessions(user: UserRecord): Promise<FoundSession[]> {
    const live = (await this.storedSessions(user.id)).filter((session) => !this.hasEnded(session) && fingerprintStands(session.fingerprint, user));
    return live.sort((a, b) => b.createdAt - a.createdAt);
  }

  async endUserSession(user: UserRecord, publicId: string): Promise<boolean> {
    const session = (await this.userSessions(user)).find((candidate) => candidate.publicId === publicId);
    return session !== undefined && (await this.endSession(session));
  }

  async endOtherSessions(user: UserRecord, keep: FoundSession): Promise<number> {
    const others = (await this.storedSessions(user.id)).filter((session) => session.key !== keep.key);
    const ended = await Promise.all(others.map((session) => this.endSession(session)));
    return ended.filter(Boolean).length;
  }

  async refreshFingerprint(session: FoundSession, fingerprint: string, expected?: string): Promise<boolean> {
    const kept = this.userIdBySessionId.get(session.key);
    if (kept === undefined || (expected !== undefined && kept.fingerprint !== expected)) return false;
    kept.fingerprint = fingerprint;
    return true;
  }

  /** Seconds a session may go unused; 0: no limit. */
  get sessionIdleTimeout(): number {
    return Math.max(0, this.options.sessionIdleTimeout ?? 0);
  }

  /** Ends sessions unused for longer than SESSION_IDLE_TIMEOUT (and, below, past SESSION_DURATION); how many. */
  override async purgeExpired(): Promise<number> {
    let purged = 0;
    for (const [key, session] of this.userIdBySessionId) {
      if (!this.hasEnded(session)) continue;
      this.forgetSession(key);
      purged += 1;
    }
    return purged;
  }

  override sessionLifetime(): number {
    return this.sessionIdleTimeout;
  }

  /** Every session this strategy keeps for a user, live or not. */
  protected async storedSessions(userId: string): Promise<FoundSession[]> {
    const keys = this.sessionKeysByUser.get(userId) ?? [];
    return [...keys].map((key) => this.userIdBySessionId.get(key)!);
  }

  /** The live session a session id names, or null; one that ended is forgotten on sight, and a use is recorded. */
  protected findSession(sessionId: unknown): MaybePromise<FoundSession | null> {
    const session = this.memorySession(sessionId);
    if (session === null) return null;
    if (this.hasEnded(session)) {
      this.forgetSession(session.key);
      return null;
    }
    const now = this.options.clock();
    if (this.useIsDue(session, now)) session.lastUsedAt = now;
    return session;
  }

  /** The session this process keeps in memory for a session id, or null. */
  protected memorySession(sessionId: unknown): FoundSession | null {
    if (typeof sessionId !== "string") return null;
    return this.userIdBySessionId.get(sessionKey(sessionId)) ?? null;
  }

  /** Whether a session has ended by time: unused for longer than SESSION_IDLE_TIMEOUT. */
  protected hasEnded(session: FoundSession): boolean {
    const idle = this.sessionIdleTimeout;
    if (idle <= 0) return false;
    if (!Number.isFinite(session.lastUsedAt)) return true;
    return session.lastUsedAt + idle * 1000 < this.options.clock();
  }

  /**
   * Whether this use should be recorded: once a minute at most, or a quarter of the idle timeout
   * when that is shorter, so that a session in use never looks idle.
   */
  protected useIsDue(session: FoundSession, now: number): boolean {
    const idle = this.sessionIdleTimeout;
    const every = idle > 0 ? Math.min(RECORD_USE_EVERY_MS, (idle * 1000) / 4) : RECORD_USE_EVERY_MS;
    return now - session.lastUsedAt >= every;
  }

  /** Ends a found session; true if it was still there. */
  protected endSession(found: FoundSession): MaybePromise<boolean> {
    return this.forgetSession(found.key);
  }

  protected forgetSession(key: string): boolean {
    const session = this.userIdBySessionId.get(key);
    if (!session) return false;
    this.userIdBySessionId.delete(key);
    const keys = this.sessionKeysByUser.get(session.userId);
    keys?.delete(key);
    if (keys?.size === 0) this.sessionKeysByUser.delete(session.userId);
    return true;
  }

  /**
   * A session stands while its user exists and keeps the password hash the login checked. One
   * that no longer stands ends on sight, so that no session outlives its user or its password;
   * if ending it fails, it is refused all the same.
   */
  private standing(sessionId: string | null, found: FoundSession, user: UserRecord | null): MaybePromise<UserRecord | null> {
    if (user !== null && fingerprintStands(found.fingerprint, user)) return user;
    if (user === null) return andThen(this.endSession(found), () => null);
    return this.standingOnSecondLook(sessionId, found, user);
  }

  /**
   * A password change on this very session makes it stand under the old and the new hash before
   * the user record changes, and under the new one after. A request that read one of the two
   * before those writes and the other after them sees them disagree: before the session is
   * ended, both are read again, the session first.
   */
  private async standingOnSecondLook(sessionId: string | null, found: FoundSession, seen: UserRecord): Promise<UserRecord | null> {
    const again = await this.findSession(sessionId);
    if (again !== null && again.userId === found.userId) {
      if (fingerprintStands(again.fingerprint, seen)) return seen;
      const user = await this.options.users.get(found.userId, { fresh: true });
      if (user !== null && fingerprintStands(again.fingerprint, user)) return user;
    }
    await this.endSession(found);
    return null;
  }
}
