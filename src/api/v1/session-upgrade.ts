/**
 * A session that proves one more factor than it did: a new session replaces it (its id changes
 * whenever what it proves does, so that an id seen before the proof is worth nothing after it),
 * with a new cookie. Used when a signed-in user gives their second factor, and when they prove
 * a code of the factor they are turning on.
 */
import { type AuditTrail, requestOrigin } from "../../audit.ts";
import type { FoundSession, SessionKeeper } from "../../auth/auth.ts";
import type { Config } from "../../config.ts";
import type { UserRecord } from "../../domain/user.ts";
import { serializeCookie } from "../../http/cookies.ts";
import { HttpError } from "../../http/responses.ts";
import type { Factor } from "../../sessions/factors.ts";
import { sessionCookieOptions } from "./session-auth.ts";

export interface UpgradeContext {
  request: Request;
  clientAddress: string;
}

/** The new session's user and its `Set-Cookie`; a 403 when the user went or changed password meanwhile. */
export async function upgradeSession(
  { auth, config, audit }: { auth: SessionKeeper; config: Config; audit: AuditTrail },
  { request, clientAddress }: UpgradeContext,
  user: UserRecord,
  session: FoundSession,
  proved: Factor,
): Promise<{ user: UserRecord; setCookie: string }> {
  const { sessions } = auth;
  const factors = [...session.factors, proved];
  const login = await sessions.createForLogin(user, { factors, clientAddress, userAgent: request.headers.get("user-agent") });
  if ("refused" in login) throw new HttpError(403, "Forbidden");
  await sessions.end(session);
  const origin = requestOrigin(request, clientAddress);
  audit.record("login.ok", { ...origin, user_id: user.id, actor: user.id, factors: factors.join(",") });
  audit.record("session.ended", { ...origin, user_id: user.id, actor: user.id, reason: "step_up" });
  const setCookie = serializeCookie(config.sessionName, login.sessionId, { ...sessionCookieOptions(config, request), maxAge: sessions.cookieMaxAge() });
  return { user: login.user, setCookie };
}
