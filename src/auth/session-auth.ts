/** `SessionAuth`: sessions in memory, named by a cookie. */
import { andThen, type MaybePromise } from "../models/record-store.ts";
import { passwordFingerprint, type UserRecord } from "../models/user.ts";
import { Auth, type NewSessionOptions, type SessionKeeper } from "./auth.ts";

/** What a session id leads to, whichever strategy keeps the session. */
export interface FoundSession {
  /** How the strategy finds the session again to end it: the key in memory, the stored record's id. */
  key: string;
  userId: string;
  /** passwordFingerprint of the hash checked at login; null for sessions that predate it. */
  fingerprint: string | null;
}

export interface MemorySession extends FoundSession {
  /** Epoch milliseconds. */
  createdAt: number;
}

/** Session ids are kept only as SHA-256, so memory and files never hold a usable cookie. */
export function sessionKey(sessionId: string): string {
  return Bun.SHA256.hash(sessionId, "hex");
}

export class SessionAuth extends Auth implements SessionKeeper {
  /** sessionKey(session id) → session; the original's `user_id_by_session_id`. */
  readonly userIdBySessionId = new Map<string, MemorySession>();
  /** user id → its session keys, so that all of a user's sessions can be ended at once. */
  private readonly sessionKeysByUser = new Map<string, Set<string>>();

  /** A new session id for `userId` (a random UUID v4: 122 bits from the CSPRNG), or null. */
  async createSession(userId: unknown = null, options: NewSessionOptions = {}): Promise<string | null> {
    if (typeof userId !== "string") return null;
    const sessionId = crypto.randomUUID();
    const key = sessionKey(sessionId);
    this.userIdBySessionId.set(key, { key, userId, fingerprint: options.fingerprint ?? null, createdAt: this.options.clock() });
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
    return andThen(this.findSession(this.sessionCookie(request)), (found) =>
      found === null ? null : andThen(this.options.users.get(found.userId), (user) => this.standing(found, user)),
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

  /** The live session a session id names, or null. */
  protected findSession(sessionId: unknown): MaybePromise<FoundSession | null> {
    return this.memorySession(sessionId);
  }

  /** The session this process keeps in memory for a session id, or null. */
  protected memorySession(sessionId: unknown): MemorySession | null {
    if (typeof sessionId !== "string") return null;
    return this.userIdBySessionId.get(sessionKey(sessionId)) ?? null;
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
  private standing(found: FoundSession, user: UserRecord | null): MaybePromise<UserRecord | null> {
    if (user !== null && (found.fingerprint === null || found.fingerprint === passwordFingerprint(user))) return user;
    return andThen(this.endSession(found), () => null);
  }
}
