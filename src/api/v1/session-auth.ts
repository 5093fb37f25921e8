/** Session login and logout; registered only when the strategy keeps sessions. */
import type { SessionAuth } from "../../auth/session-auth.ts";
import { readForm } from "../../http/body.ts";
import { type CookieOptions, serializeCookie } from "../../http/cookies.ts";
import { isHttps } from "../../http/client-address.ts";
import { HttpError, json, tooManyAttempts } from "../../http/responses.ts";
import { checkUserPassword, toPublicUser } from "../../models/user.ts";
import type { ApiDeps, ApiRouter } from "./context.ts";

export function registerSessionRoutes(router: ApiRouter, auth: SessionAuth, { users, config, throttle, clock }: ApiDeps): void {
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
    const client = clientAddress;
    const wait = throttle.retryAfter(client, email);
    if (wait > 0) throw tooManyAttempts(wait);
    const candidates = await users.search({ email });
    if (candidates.length === 0) {
      throttle.failed(client, null);
      throw new HttpError(404, "no user found for this email");
    }
    for (const user of candidates) {
      if (!(await checkUserPassword(users, user, password, clock))) continue;
      throttle.succeeded(email);
      const sessionId = await auth.createSession(user.id);
      if (sessionId === null) throw new Error("session could not be created");
      const cookie = serializeCookie(config.sessionName, sessionId, { ...cookieOptions(request), maxAge: auth.cookieMaxAge() });
      return json(toPublicUser(user), 200, { "Set-Cookie": cookie });
    }
    throttle.failed(client, email);
    throw new HttpError(401, "wrong password");
  });

  router.add("DELETE", "/api/v1/auth_session/logout", async ({ request }) => {
    if (!(await auth.destroySession(request))) throw new HttpError(404, "Not found");
    return json({}, 200, { "Set-Cookie": serializeCookie(config.sessionName, "", { ...cookieOptions(request), maxAge: 0 }) });
  });
}
