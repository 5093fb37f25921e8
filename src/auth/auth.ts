/** `Auth`: the base of every strategy; on its own it admits nobody. */
import { getCookie } from "../http/cookies.ts";
import { normalizePath } from "../http/router.ts";
import type { Clock } from "../models/base.ts";
import type { MaybePromise } from "../models/record-store.ts";
import type { SessionStore } from "../models/session-store.ts";
import type { UserRecord, UserStore } from "../models/user.ts";
import { CredentialsCheck } from "./credentials.ts";

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
}

export interface NewSessionOptions {
  /** passwordFingerprint of the user as the login checked them: the session ends when it changes. */
  fingerprint?: string;
  /** Where the login came from, for the owner's list of sessions. */
  clientAddress?: string | null;
  userAgent?: string | null;
}

/** A live session, whichever strategy keeps it. */
export interface FoundSession {
  /** How the strategy finds the session again to end it: the key in memory, the stored record's id. */
  key: string;
  /** The id its owner sees and ends it by: never the cookie value nor its hash. */
  publicId: string;
  userId: string;
  /** passwordFingerprint of the hash checked at login; null for sessions that predate it. */
  fingerprint: string | null;
  /** Epoch milliseconds; the latest moment each can have been, as stored. */
  createdAt: number;
  lastUsedAt: number;
  clientAddress: string | null;
  userAgent: string | null;
}

/** What the session routes ask of a strategy that keeps sessions. */
export interface SessionKeeper {
  /** A new session id for `userId`, or null unless it is a string. */
  createSession(userId: unknown, options?: NewSessionOptions): Promise<string | null>;
  /** Logout: ends the session the request's cookie names; false if there is none. */
  destroySession(request: Request | null | undefined): Promise<boolean>;
  /** Ends the session a session id names; false if there is none. */
  destroySessionId(sessionId: unknown): Promise<boolean>;
  /** `Max-Age` for the session cookie, when sessions expire. */
  cookieMaxAge(): number | undefined;
  /** The live session the request's cookie names, or null. */
  requestSession(request: Request): MaybePromise<FoundSession | null>;
  /** The user's live sessions, newest first. */
  userSessions(user: UserRecord): Promise<FoundSession[]>;
  /** Ends one of the user's sessions by its public id; false if the user has no such session. */
  endUserSession(user: UserRecord, publicId: string): Promise<boolean>;
  /** Ends every session of the user but `keep`; resolves with how many. */
  endOtherSessions(user: UserRecord, keep: FoundSession): Promise<number>;
  /**
   * The session goes on under a new password: it remembers the new hash's fingerprint. With
   * `expected`, only if it still holds that one (a compare-and-set); false when it did not
   * change.
   */
  refreshFingerprint(session: FoundSession, fingerprint: string, expected?: string): Promise<boolean>;
}

/** An excluded-paths list, prepared once: exact paths (normalized) and `*` prefixes, and the answers given lately. */
interface PreparedExclusions {
  exact: Set<string>;
  prefixes: string[];
  answers: Map<string, boolean>;
}

/** How many paths' answers an excluded-paths list keeps. */
const EXCLUSION_ANSWERS = 256;

export class Auth {
  private readonly prepared = new WeakMap<readonly string[], PreparedExclusions>();
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
    if (typeof path !== "string" || !excludedPaths || excludedPaths.length === 0) return true;
    const prepared = this.prepare(excludedPaths);
    let required = prepared.answers.get(path);
    if (required === undefined) {
      required = !prepared.exact.has(normalizePath(path)) && !prepared.prefixes.some((prefix) => path.startsWith(prefix));
      // Paths are the client's to choose: only a bounded number of answers is kept.
      if (prepared.answers.size >= EXCLUSION_ANSWERS) prepared.answers.clear();
      prepared.answers.set(path, required);
    }
    return required;
  }

  /** The guard passes the same list on every request; normalize it once. */
  private prepare(excludedPaths: readonly string[]): PreparedExclusions {
    let prepared = this.prepared.get(excludedPaths);
    if (!prepared) {
      prepared = { exact: new Set(), prefixes: [], answers: new Map() };
      for (const excluded of excludedPaths) {
        if (excluded.endsWith("*")) prepared.prefixes.push(excluded.slice(0, -1));
        else prepared.exact.add(normalizePath(excluded));
      }
      // A caller may change its array later; only frozen lists are kept.
      if (Object.isFrozen(excludedPaths)) this.prepared.set(excludedPaths, prepared);
    }
    return prepared;
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
