/** Session login and logout; registered only when the strategy keeps sessions. */
import type { SessionKeeper } from "../../auth/auth.ts";
import { readForm } from "../../http/body.ts";
import { type CookieOptions, serializeCookie } from "../../http/cookies.ts";
import { isHttps } from "../../http/client-address.ts";
import { HttpError, json } from "../../http/responses.ts";
import { passwordFingerprint, toPublicUser } from "../../models/user.ts";
import type { ApiDeps, ApiRouter } from "./context.ts";

const NO_USER = "no user found for this email";
const WRONG_PASSWORD = "wrong password";

export function registerSessionRoutes(router: ApiRouter, auth: SessionKeeper, { users, config, credentials }: ApiDeps): void {
  const cookieOptions = (request: Request): CookieOptions => ({
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: config.cookieSecure || isHttps(request, config.trustProxy),
  });

  router.add("POST", "/api/v1/auth_session/login", async ({ request, clientAddress }) => {
    const form = await readForm(request, config.maxBodyBytes);
    const email = form.get("email");
    if (!email) throw new HttpError(400, "email missing");
    const password = form.get("password");
    if (!password) throw new HttpError(400, "password missing");
    const { user, failure } = await credentials.check(email, password, clientAddress);
    if (user === null) throw failure === "unknown-email" ? new HttpError(404, NO_USER) : new HttpError(401, WRONG_PASSWORD);
    const fingerprint = passwordFingerprint(user);
    const sessionId = await auth.createSession(user.id, { fingerprint });
    if (sessionId === null) throw new Error("session could not be created");
    // A deletion or password change that ran while the password was checked, here or in another
    // process, removes the user's sessions before or after this one was stored: if after, it is
    // ended here, so that no session outlives either.
    const stored = await users.get(user.id, { fresh: true });
    if (stored === null || passwordFingerprint(stored) !== fingerprint) {
      await auth.destroySessionId(sessionId);
      throw stored === null ? new HttpError(404, NO_USER) : new HttpError(401, WRONG_PASSWORD);
    }
    const cookie = serializeCookie(config.sessionName, sessionId, { ...cookieOptions(request), maxAge: auth.cookieMaxAge() });
    return json(toPublicUser(stored), 200, { "Set-Cookie": cookie });
  });

  router.add("DELETE", "/api/v1/auth_session/logout", async ({ request }) => {
    if (!(await auth.destroySession(request))) throw new HttpError(404, "Not found");
    return json({}, 200, { "Set-Cookie": serializeCookie(config.sessionName, "", { ...cookieOptions(request), maxAge: 0 }) });
  });
}
