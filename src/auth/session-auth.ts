/** `SessionAuth`: sessions in memory, named by a cookie, ended after SESSION_IDLE_TIMEOUT without use. */
import { MemorySessionStore } from "../storage/memory/session-store.ts";
import type { MaybePromise } from "../maybe-promise.ts";
import type { SessionStore } from "../storage/session-store.ts";
import type { UserRecord } from "../domain/user.ts";
import { type FoundSession, type NewSessionOptions, type SessionPolicy, Sessions } from "../sessions/sessions.ts";
import { Auth, type AuthOptions, type SessionKeeper } from "./auth.ts";

export type { FoundSession } from "./auth.ts";
export { sessionKey, shortUserAgent } from "../sessions/found-session.ts";
export { RECORD_USE_EVERY_MS } from "../sessions/sessions.ts";

export class SessionAuth extends Auth implements SessionKeeper {
  /** Every session of this strategy, and the rules they live by: the original's `user_id_by_session_id`. */
  readonly sessions: Sessions;

  constructor(options: AuthOptions) {
    super(options);
    this.sessions = new Sessions(this.sessionStore(options), options.users, this.sessionPolicy(), options.clock);
  }

  /** A new session id for `userId` (a random UUID v4: 122 bits from the CSPRNG), or null unless it is a string. */
  async createSession(userId: unknown = null, options: NewSessionOptions = {}): Promise<string | null> {
    return typeof userId === "string" ? this.sessions.create(userId, options) : null;
  }

  /** The user id for a session id, or null unless it is a known string. */
  userIdForSessionId(sessionId: unknown = null): MaybePromise<string | null> {
    const found = this.sessions.find(sessionId);
    return found instanceof Promise ? found.then((session) => session?.userId ?? null) : (found?.userId ?? null);
  }

  override currentUser(request: Request | null | undefined): MaybePromise<UserRecord | null> {
    return this.sessions.userFor(this.sessionCookie(request));
  }

  /** Logout: false without a request, a cookie or a known session; else ends it and returns true. */
  async destroySession(request: Request | null | undefined = null): Promise<boolean> {
    return request ? this.sessions.endById(this.sessionCookie(request)) : false;
  }

  requestSession(request: Request): MaybePromise<FoundSession | null> {
    return this.sessions.find(this.sessionCookie(request));
  }

  /** `Max-Age` for the session cookie, when sessions expire. */
  cookieMaxAge(): number | undefined {
    return this.sessions.cookieMaxAge();
  }

  /** Seconds a session may go unused; 0: no limit. */
  get sessionIdleTimeout(): number {
    return Math.max(0, this.options.sessionIdleTimeout ?? 0);
  }

  override sessionKeeper(): SessionKeeper {
    return this;
  }

  /** Ends every session of a deleted user this strategy keeps in memory; how many. */
  override forgetUserSessions(userId: string): number {
    const ended = this.sessions.endAll(userId);
    return typeof ended === "number" ? ended : 0;
  }

  override sessionLifetime(): number {
    return this.sessions.lifetime();
  }

  override purgeExpired(): Promise<number> {
    return this.sessions.sweep();
  }

  /** Where the sessions live: this process's memory. */
  protected sessionStore(_options: AuthOptions): SessionStore {
    return new MemorySessionStore();
  }

  /** Only idle sessions end: SESSION_DURATION is session_exp_auth's. */
  protected sessionPolicy(): SessionPolicy {
    return { duration: 0, idleTimeout: this.sessionIdleTimeout };
  }
}
