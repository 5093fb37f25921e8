/**
 * Session login and logout, and the signed-in user's own sessions and password; registered
 * only when the strategy keeps sessions.
 */
import { requestOrigin } from "../../audit.ts";
import type { FoundSession, SessionKeeper } from "../../auth/auth.ts";
import { ThrottledError } from "../../auth/throttle.ts";
import { PASSKEY_REFUSED } from "../../auth/factors/passkeys.ts";
import type { Config } from "../../config.ts";
import { mediaType, readForm, readJson } from "../../http/body.ts";
import { type CookieOptions, serializeCookie } from "../../http/cookies.ts";
import { isHttps } from "../../http/client-address.ts";
import { checkSecondFactors, enrolledFactors, hasSecondFactor } from "../../auth/factors/second-factor.ts";
import { type Factor, PASSWORD_ONLY } from "../../sessions/factors.ts";
import { HttpError, json } from "../../http/responses.ts";
import { pageReturnAddress } from "../../http/return-address.ts";
import { formatTimestamp } from "../../domain/base.ts";
import { hashPassword } from "../../domain/password.ts";
import { passwordProblem, toPublicUser, type UserRecord } from "../../domain/user.ts";
import { type ApiDeps, type ApiRouter, LOGIN_PATH, LOGOUT_LINK_PATH, PUBLIC, type RequestContext } from "./context.ts";

const NO_USER = "no user found for this email";
const WRONG_PASSWORD = "wrong password";
const NO_PASSWORD = "this account has no password: sign in with its provider";
const AMBIGUOUS = "several accounts have this email; an administrator must tell them apart";
const CHANGED_MEANWHILE = "the password changed meanwhile; log in again";
export const SECOND_FACTOR_REQUIRED = "second factor required";
const WRONG_CODE = "wrong code";

/** A session as its owner sees it: never its cookie value or that value's hash. */
function sessionJson(session: FoundSession, current: FoundSession | null) {
  return {
    client_address: session.clientAddress,
    created_at: formatTimestamp(session.createdAt),
    current: current !== null && session.key === current.key,
    factors: session.factors,
    id: session.publicId,
    last_used_at: formatTimestamp(session.lastUsedAt),
    user_agent: session.userAgent,
  };
}

/** Form fields or a JSON object, whichever the request sends; string values only. */
export async function readFields(request: Request, limit: number): Promise<Map<string, string>> {
  const body = await readJson(request, limit);
  if (body === undefined) return readForm(request, limit);
  const fields = new Map<string, string>();
  if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    for (const [name, value] of Object.entries(body)) if (typeof value === "string") fields.set(name, value);
  }
  return fields;
}

/** The session cookie's attributes, for a login by password or by passkey. */
export function sessionCookieOptions(config: Config, request: Request): CookieOptions {
  return {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: config.cookieSecure || isHttps(request, config.trustProxy),
    ...(config.cookieDomain ? { domain: config.cookieDomain } : {}),
  };
}

/**
 * A body's fields: the form's, or a JSON object's (values of any type: a passkey assertion is an
 * object) when `takeJson` accepts it. The login takes a JSON body only when it carries a second
 * factor (`passkey`), so that every request the original could answer is answered alike.
 */
export async function readBodyFields(request: Request, limit: number, takeJson: (body: object) => boolean = () => true): Promise<Record<string, unknown>> {
  const fields: Record<string, unknown> = Object.create(null);
  const type = mediaType(request);
  if (type === "application/json" || type.endsWith("+json")) {
    const body = await readJson(request, limit);
    if (body !== null && typeof body === "object" && !Array.isArray(body) && takeJson(body)) Object.assign(fields, body);
    return fields;
  }
  for (const [name, value] of await readForm(request, limit)) fields[name] = value;
  return fields;
}

/** login.failed's reason for each way a password check fails. */
const FAILURE_REASONS = { "unknown-email": "unknown_email", "wrong-password": "wrong_password", "ambiguous-email": "ambiguous_email", "no-password": "no_password" } as const;

export function registerSessionRoutes(router: ApiRouter, auth: SessionKeeper, { config, credentials, secondFactors, audit }: ApiDeps): void {
  const { sessions } = auth;
  const cookieOptions = (request: Request): CookieOptions => sessionCookieOptions(config, request);

  /** The signed-in user and the session their request came with; the guard has admitted both. */
  const signedIn = async ({ request, currentUser }: RequestContext): Promise<{ user: UserRecord; session: FoundSession }> => {
    const session = await auth.requestSession(request);
    if (currentUser === null || session === null) throw new HttpError(403, "Forbidden");
    return { user: currentUser, session };
  };

  router.add("POST", LOGIN_PATH, async ({ request, clientAddress }) => {
    const fields = await readBodyFields(request, config.maxBodyBytes, (body) => Object.hasOwn(body, "passkey"));
    const email = fields.email;
    if (typeof email !== "string" || !email) throw new HttpError(400, "email missing");
    const password = fields.password;
    if (typeof password !== "string" || !password) throw new HttpError(400, "password missing");
    const origin = requestOrigin(request, clientAddress);
    let checked: Awaited<ReturnType<typeof credentials.check>>;
    try {
      checked = await credentials.check(email, password, clientAddress, { hold: (each) => hasSecondFactor(secondFactors, each.id) });
    } catch (error) {
      if (error instanceof ThrottledError) audit.record("login.failed", { ...origin, reason: "throttled" });
      throw error;
    }
    const { user, failure } = checked;
    if (user === null) {
      audit.record("login.failed", { ...origin, reason: FAILURE_REASONS[failure] });
      if (failure === "ambiguous-email") throw new HttpError(409, AMBIGUOUS);
      if (failure === "no-password") throw new HttpError(401, NO_PASSWORD);
      throw failure === "unknown-email" ? new HttpError(404, NO_USER) : new HttpError(401, WRONG_PASSWORD);
    }
    let factors: readonly Factor[] = PASSWORD_ONLY;
    // A user with a second factor: the password is right, and the attempt stays counted until the code is checked.
    if (checked.held) {
      const outcome = await checkSecondFactors(secondFactors, user, fields, { request, clientAddress });
      await checked.held.settle(outcome.result === "none" ? "ok" : outcome.result);
      // No cookie: the answer names every factor the user can use.
      if (outcome.result === "absent") {
        audit.record("login.failed", { ...origin, user_id: user.id, actor: user.id, reason: "second_factor_needed" });
        return json({ error: SECOND_FACTOR_REQUIRED, factors: await enrolledFactors(secondFactors, user.id) }, 401);
      }
      if (outcome.result === "wrong") {
        // A passkey sent without a code is what failed; its check recorded why, with the step.
        const passkey = fields.passkey !== undefined && fields.code === undefined;
        if (!passkey) audit.record("factor.failed", { ...origin, user_id: user.id, actor: user.id, reason: "wrong_code" });
        audit.record("login.failed", { ...origin, user_id: user.id, actor: user.id, reason: passkey ? "passkey_refused" : "wrong_code" });
        throw new HttpError(401, passkey ? PASSKEY_REFUSED : WRONG_CODE);
      }
      if (outcome.result === "ok") {
        // A passkey's check records its own factor.ok.
        if (outcome.used !== "passkey") audit.record("factor.ok", { ...origin, user_id: user.id, actor: user.id, factor: outcome.used });
        factors = ["password", outcome.used];
      }
    }
    const login = await sessions.createForLogin(user, { factors, clientAddress, userAgent: request.headers.get("user-agent") });
    if ("refused" in login) {
      audit.record("login.failed", { ...origin, user_id: user.id, actor: user.id, reason: login.refused === "user-deleted" ? "unknown_email" : "wrong_password" });
      throw login.refused === "user-deleted" ? new HttpError(404, NO_USER) : new HttpError(401, WRONG_PASSWORD);
    }
    audit.record("login.ok", { ...origin, user_id: user.id, actor: user.id, factors: factors.join(",") });
    // A login over a session this browser still has (a step-up, another account) replaces it:
    // the old one ends rather than living on unseen behind the new cookie.
    await auth.destroySession(request);
    const cookie = serializeCookie(config.sessionName, login.sessionId, { ...cookieOptions(request), maxAge: sessions.cookieMaxAge() });
    return json(toPublicUser(login.user), 200, { "Set-Cookie": cookie });
  }, PUBLIC);

  /**
   * What a logout answers with: the cookie cleared (with the Domain it was set with), and over
   * https `Clear-Site-Data` too. Not over http: Chromium refuses the header from an insecure
   * origin and then ignores the same response's Max-Age=0 as well, keeping the cookie.
   */
  const loggedOutHeaders = (request: Request): Record<string, string> => {
    const headers: Record<string, string> = { "Set-Cookie": serializeCookie(config.sessionName, "", { ...cookieOptions(request), maxAge: 0 }) };
    if (isHttps(request, config.trustProxy)) headers["Clear-Site-Data"] = '"cookies"';
    return headers;
  };

  /** A logout: the session the cookie names ends, and the trail says whose it was. */
  const logout = async (request: Request, clientAddress: string): Promise<boolean> => {
    const session = await auth.requestSession(request);
    if (session === null || !(await sessions.end(session))) return false;
    audit.record("session.ended", { ...requestOrigin(request, clientAddress), user_id: session.userId, actor: session.userId, reason: "logout" });
    return true;
  };

  router.add("DELETE", "/api/v1/auth_session/logout", async ({ request, clientAddress }) => {
    if (!(await logout(request, clientAddress))) throw new HttpError(404, "Not found");
    return json({}, 200, loggedOutHeaders(request));
  });

  /**
   * The logout link for pages of protected apps: ends the session the cookie names, if any, and
   * sends the browser to `rd` when the login page would follow it there, else to the login page.
   * Outside the guard: a browser whose session ended already still gets its cookie cleared.
   */
  router.add("GET", LOGOUT_LINK_PATH, async ({ request, clientAddress }) => {
    await logout(request, clientAddress);
    const location = pageReturnAddress(request, config) ?? "/";
    return new Response(null, { status: 302, headers: { Location: location, "Cache-Control": "no-store", ...loggedOutHeaders(request) } });
  }, PUBLIC);

  router.add("GET", "/api/v1/auth_session/sessions", async (context) => {
    const { user, session } = await signedIn(context);
    return json((await sessions.list(user)).map((each) => sessionJson(each, session)));
  });

  // Another user's session answers exactly as an unknown id does.
  router.add("DELETE", "/api/v1/auth_session/sessions/:id", async (context) => {
    const { user } = await signedIn(context);
    if (!(await sessions.endOne(user, context.params.id!))) throw new HttpError(404, "Not found");
    audit.record("session.ended", { ...requestOrigin(context.request, context.clientAddress), user_id: user.id, actor: user.id, reason: "revoked" });
    return json({});
  });

  router.add("DELETE", "/api/v1/auth_session/sessions", async (context) => {
    const { user, session } = await signedIn(context);
    const ended = await sessions.endOthers(user, session);
    if (ended > 0) audit.record("session.ended", { ...requestOrigin(context.request, context.clientAddress), user_id: user.id, actor: user.id, reason: "revoked", count: ended });
    return json({ ended });
  });

  /** A new password: the current one is checked (throttled as logins are), every other session ends. */
  router.add("POST", "/api/v1/auth_session/password", async (context) => {
    const { user, session } = await signedIn(context);
    const fields = await readFields(context.request, config.maxBodyBytes);
    const current = fields.get("current_password");
    if (!current) throw new HttpError(400, "current_password missing");
    const next = fields.get("new_password");
    if (!next) throw new HttpError(400, "new_password missing");
    const problem = passwordProblem(next, config.passwordMinLength);
    if (problem !== null) throw new HttpError(400, problem.replace(/^password/, "new_password"));
    const origin = requestOrigin(context.request, context.clientAddress);
    const checked = await credentials.checkUser(user, current, context.clientAddress);
    if (checked.user === null) {
      audit.record("login.failed", { ...origin, user_id: user.id, actor: user.id, reason: "wrong_password" });
      throw new HttpError(401, WRONG_PASSWORD);
    }
    // This session goes on under the new password; every other one ends.
    const changed = await sessions.changePassword(checked.user, await hashPassword(next), { keep: session, expectHash: checked.user._password });
    if (changed === null) throw new HttpError(409, CHANGED_MEANWHILE);
    audit.record("password.changed", { ...origin, user_id: user.id, actor: user.id });
    if (changed.ended > 0) audit.record("session.ended", { ...origin, user_id: user.id, actor: user.id, reason: "password_changed", count: changed.ended });
    return json({ ended: changed.ended });
  });
}
