/** `Auth`: the base of every strategy; on its own it admits nobody. */
import { getCookie } from "../http/cookies.ts";
import { normalizePath } from "../http/router.ts";
import type { Clock } from "../models/base.ts";
import type { UserRecord, UserStore } from "../models/user.ts";
import type { UserSessionStore } from "../models/user-session.ts";

export interface AuthOptions {
  users: UserStore;
  /** The UserSession records, for session_db_auth. */
  userSessions?: UserSessionStore;
  sessionName: string;
  /** Seconds; 0 or less: sessions never expire. */
  sessionDuration: number;
  clock: Clock;
}

export class Auth {
  constructor(protected readonly options: AuthOptions) {}

  /**
   * False when `path` is one of `excludedPaths`, compared with or without a trailing slash;
   * an entry ending in `*` excludes every path that starts with what comes before the `*`.
   */
  requireAuth(path: string | null | undefined, excludedPaths: readonly string[] | null | undefined): boolean {
    if (typeof path !== "string" || !excludedPaths || excludedPaths.length === 0) return true;
    const normalized = normalizePath(path);
    for (const excluded of excludedPaths) {
      if (excluded.endsWith("*")) {
        if (path.startsWith(excluded.slice(0, -1))) return false;
      } else if (normalizePath(excluded) === normalized) {
        return false;
      }
    }
    return true;
  }

  authorizationHeader(request: Request | null | undefined): string | null {
    return request?.headers.get("authorization") ?? null;
  }

  /** The value of the `SESSION_NAME` cookie, or null. */
  sessionCookie(request: Request | null | undefined): string | null {
    if (!request) return null;
    return getCookie(request.headers.get("cookie"), this.options.sessionName);
  }

  async currentUser(_request: Request | null | undefined): Promise<UserRecord | null> {
    return null;
  }
}
