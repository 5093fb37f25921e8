/** `Auth`: the base of every strategy; on its own it admits nobody. */
import { getCookie } from "../http/cookies.ts";
import type { Clock } from "../domain/base.ts";
import type { MaybePromise } from "../maybe-promise.ts";
import type { SessionStore } from "../storage/session-store.ts";
import type { UserRecord } from "../domain/user.ts";
import type { UserStore } from "../storage/user-store.ts";
import type { FoundSession, Sessions } from "../sessions/sessions.ts";
import { CredentialsCheck } from "./credentials.ts";
import { ExcludedPaths } from "./excluded-paths.ts";

export type { FoundSession, NewSessionOptions } from "../sessions/sessions.ts";

export interface AuthOptions {
  users: UserStore;
  /** The stored sessions, for session_db_auth. */
  sessions?: SessionStore;
  sessionName: string;
  /** Seconds from creation; 0 or less: sessions never expire. */
  sessionDuration: number;
  /** Seconds without use after which a session ends; 0 or absent: never. */
  sessionIdleTimeout?: number;
  clock: Clock;
  /** The throttled credentials check the server shares with the login route; unthrottled by default. */
  credentials?: CredentialsCheck;
  /** Whether a user has a second factor: a password alone (Basic) is then not enough. None by default. */
  hasSecondFactor?: (userId: string) => MaybePromise<boolean>;
}

/** What the session routes ask of a strategy that keeps sessions. */
export interface SessionKeeper {
  /** The service that keeps the strategy's sessions. */
  readonly sessions: Sessions;
  /** Logout: ends the session the request's cookie names; false if there is none. */
  destroySession(request: Request | null | undefined): Promise<boolean>;
  /** The live session the request's cookie names, or null. */
  requestSession(request: Request): MaybePromise<FoundSession | null>;
}

export class Auth {
  private readonly excluded = new ExcludedPaths();
  // The last request whose cookie was read, and that cookie's value.
  private lastCookieRequest: Request | null = null;
  private lastCookieValue: string | null = null;

  /** The credentials check: throttled when the server handed one in. */
  protected readonly credentialsCheck: CredentialsCheck;

  constructor(protected readonly options: AuthOptions) {
    this.credentialsCheck = options.credentials ?? new CredentialsCheck(options.users, options.clock);
  }

  /**
   * False when `path` is one of `excludedPaths`, compared with or without a trailing slash;
   * an entry ending in `*` excludes every path that starts with what comes before the `*`.
   */
  requireAuth(path: string | null | undefined, excludedPaths: readonly string[] | null | undefined): boolean {
    return this.excluded.requireAuth(path, excludedPaths);
  }

  authorizationHeader(request: Request | null | undefined): string | null {
    return request?.headers.get("authorization") ?? null;
  }

  /** The value of the `SESSION_NAME` cookie, or null. */
  sessionCookie(request: Request | null | undefined): string | null {
    if (!request) return null;
    // The guard and the strategy ask for the same request's cookie one after the other.
    if (request === this.lastCookieRequest) return this.lastCookieValue;
    const value = getCookie(request.headers.get("cookie"), this.options.sessionName);
    this.lastCookieRequest = request;
    this.lastCookieValue = value;
    return value;
  }

  /**
   * The authenticated user, or null; at once when the stores can answer at once. `client` is the
   * caller's address, for strategies that check a password on the request (and throttle it).
   */
  currentUser(_request: Request | null | undefined, _client: string | null = null): MaybePromise<UserRecord | null> {
    return null;
  }

  /** The strategy's sessions, for the login and logout routes; null when it keeps none. */
  sessionKeeper(): SessionKeeper | null {
    return null;
  }

  /** Seconds a session lives from its creation; 0 when sessions never expire (or there are none). */
  sessionLifetime(): number {
    return 0;
  }

  /** Removes expired sessions; resolves with how many. */
  async purgeExpired(): Promise<number> {
    return 0;
  }

  /**
   * Ends the sessions of a deleted user that this process keeps in memory; returns how many.
   * Stored sessions are removed with the user, by the stores.
   */
  forgetUserSessions(_userId: string): number {
    return 0;
  }
}
