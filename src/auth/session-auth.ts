/** `SessionAuth`: sessions in memory, named by a cookie. */
import type { UserRecord } from "../models/user.ts";
import { Auth } from "./auth.ts";

export interface MemorySession {
  userId: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

/** Session ids are kept only as SHA-256, so memory and files never hold a usable cookie. */
export function sessionKey(sessionId: string): string {
  return Bun.SHA256.hash(sessionId, "hex");
}

export class SessionAuth extends Auth {
  /** sessionKey(session id) → session; the original's `user_id_by_session_id`. */
  readonly userIdBySessionId = new Map<string, MemorySession>();
  /** user id → its session keys, so that all of a user's sessions can be ended at once. */
  private readonly sessionKeysByUser = new Map<string, Set<string>>();

  /** A new session id for `userId` (a random UUID v4: 122 bits from the CSPRNG), or null. */
  async createSession(userId: unknown = null): Promise<string | null> {
    if (typeof userId !== "string") return null;
    const sessionId = crypto.randomUUID();
    const key = sessionKey(sessionId);
    this.userIdBySessionId.set(key, { userId, createdAt: this.options.clock() });
    let keys = this.sessionKeysByUser.get(userId);
    if (!keys) this.sessionKeysByUser.set(userId, (keys = new Set()));
    keys.add(key);
    return sessionId;
  }

  /** The user id for a session id, or null unless it is a known string. */
  async userIdForSessionId(sessionId: unknown = null): Promise<string | null> {
    return this.userIdNow(sessionId) ?? null;
  }

  /** userIdForSessionId without waiting, or undefined when only a store that must be waited for can tell. */
  protected userIdNow(sessionId: unknown): string | null | undefined {
    if (typeof sessionId !== "string") return null;
    return this.userIdBySessionId.get(sessionKey(sessionId))?.userId ?? null;
  }

  override async currentUser(request: Request | null | undefined): Promise<UserRecord | null> {
    const userId = await this.userIdForSessionId(this.sessionCookie(request));
    if (userId === null) return null;
    return this.options.users.get(userId);
  }

  override currentUserNow(request: Request): UserRecord | null | undefined {
    const { users } = this.options;
    if (!users.getNow) return undefined;
    const userId = this.userIdNow(this.sessionCookie(request));
    return typeof userId === "string" ? users.getNow(userId) : userId;
  }

  /** Logout: false without a request, a cookie or a known session; else ends it and returns true. */
  async destroySession(request: Request | null | undefined = null): Promise<boolean> {
    if (!request) return false;
    const sessionId = this.sessionCookie(request);
    if (sessionId === null) return false;
    if ((await this.userIdForSessionId(sessionId)) === null) return false;
    this.forgetSession(sessionKey(sessionId));
    return true;
  }

  /** Ends every session of a user (the user was deleted); returns how many. */
  async destroyUserSessions(userId: string): Promise<number> {
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

  protected forgetSession(key: string): void {
    const session = this.userIdBySessionId.get(key);
    if (!session) return;
    this.userIdBySessionId.delete(key);
    const keys = this.sessionKeysByUser.get(session.userId);
    keys?.delete(key);
    if (keys?.size === 0) this.sessionKeysByUser.delete(session.userId);
  }
}
