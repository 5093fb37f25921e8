/** What a route handler receives, and what the API is built from. */
import type { AuditTrail } from "../../audit.ts";
import type { Auth } from "../../auth/auth.ts";
import type { CredentialsCheck } from "../../auth/credentials.ts";
import type { Passkeys } from "../../auth/factors/passkeys.ts";
import type { SecondFactor } from "../../auth/factors/second-factor.ts";
import type { TotpFactor } from "../../auth/factors/totp-factor.ts";
import type { Logger } from "../../logger.ts";
import type { Config } from "../../config.ts";
import type { Router } from "../../http/router.ts";
import type { Clock } from "../../domain/base.ts";
import type { UserRecord } from "../../domain/user.ts";
import type { GroupStore } from "../../storage/group-store.ts";
import type { UserStore } from "../../storage/user-store.ts";

export interface RequestContext {
  request: Request;
  params: Record<string, string>;
  /** The authenticated user, set by the request guard; null when there is none. */
  currentUser: UserRecord | null;
  /** The client's address (per TRUST_PROXY), for throttling. */
  clientAddress: string;
}

export type Handler = (context: RequestContext) => Response | Promise<Response>;

export type ApiRouter = Router<Handler>;

export interface ApiDeps {
  config: Config;
  users: UserStore;
  /** The users' groups. */
  groups: GroupStore;
  auth: Auth | null;
  /** The throttled credentials check that BasicAuth uses too. */
  credentials: CredentialsCheck;
  clock: Clock;
  /** The second factors a login may ask for; the one-time codes among them. */
  secondFactors: readonly SecondFactor[];
  totp: TotpFactor;
  passkeys: Passkeys;
  /** The log (security events go to `audit`). */
  logger: Logger;
  /** Deletes a user and ends every session of theirs (how many); `removed` false if there was no such user. */
  deleteUser(userId: string): Promise<{ removed: boolean; sessions: number }>;
  /** Security events: the audit trail (and the metrics that count them). */
  audit: AuditTrail;
}

/** The options of a route answered without credentials. */
export const PUBLIC = Object.freeze({ public: true });

/** Where a password login is posted; the cross-site check knows it too. */
export const LOGIN_PATH = "/api/v1/auth_session/login";

/** The logout link for pages of protected apps (GET, then a redirect). */
export const LOGOUT_LINK_PATH = "/logout";
