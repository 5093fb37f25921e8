/**
 * Passkeys: registering one for the signed-in user, listing, renaming and removing them, and
 * signing in with one alone. Registered only when the strategy keeps sessions.
 */
import type { SessionKeeper } from "../../auth/auth.ts";
import { passkeyJson } from "../../domain/passkey.ts";
import { toPublicUser } from "../../domain/user.ts";
import { readJson } from "../../http/body.ts";
import { serializeCookie } from "../../http/cookies.ts";
import { CROSS_SITE_REFUSED, crossSiteRefusal } from "../../http/cross-site.ts";
import { HttpError, json } from "../../http/responses.ts";
import { type ApiDeps, type ApiRouter, PUBLIC, type RequestContext } from "./context.ts";
import { sessionCookieOptions } from "./session-auth.ts";

const BASE = "/api/v1/auth_session/passkeys";
export const PASSKEY_LOGIN_PATH = `${BASE}/login`;
export const PASSKEY_LOGIN_OPTIONS_PATH = `${BASE}/login_options`;

/** A JSON object body; 400 otherwise. */
async function readObject(request: Request, limit: number, optional = false): Promise<Record<string, unknown>> {
  const body = await readJson(request, limit);
  if (body !== null && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
  if (optional && body === undefined) return {};
  throw new HttpError(400, "a JSON object body is expected (Content-Type: application/json)");
}

export function registerPasskeyRoutes(router: ApiRouter, auth: SessionKeeper, { config, passkeys }: ApiDeps): void {
  const { sessions } = auth;

  const signedIn = ({ currentUser }: RequestContext) => {
    if (currentUser === null) throw new HttpError(403, "Forbidden");
    return currentUser;
  };

  router.add("POST", `${BASE}/options`, async (context) => json(await passkeys.creationOptions(signedIn(context), context.request)));

  router.add("POST", BASE, async (context) => {
    const user = signedIn(context);
    const body = await readObject(context.request, config.maxBodyBytes);
    return json(passkeyJson(await passkeys.register(user, body, context.request)), 201);
  });

  router.add("GET", BASE, async (context) => json((await passkeys.list(signedIn(context).id)).map(passkeyJson)));

  router.add("PATCH", `${BASE}/:id`, async (context) => {
    const user = signedIn(context);
    const body = await readObject(context.request, config.maxBodyBytes);
    return json(passkeyJson(await passkeys.rename(user.id, context.params.id!, body.name)));
  });

  router.add("DELETE", `${BASE}/:id`, async (context) => {
    await passkeys.remove(signedIn(context).id, context.params.id!);
    return json({});
  });

  router.add("POST", PASSKEY_LOGIN_OPTIONS_PATH, async ({ request }) => {
    const body = await readObject(request, config.maxBodyBytes, true);
    return json(await passkeys.requestOptions(body.email, request));
  }, PUBLIC);

  /** Signing in with a passkey alone: user verification required, and then it counts as both factors. */
  router.add("POST", PASSKEY_LOGIN_PATH, async ({ request, clientAddress }) => {
    // A login: another site's page must not sign a visitor in (to an account of its choosing).
    const refusal = crossSiteRefusal(request, PASSKEY_LOGIN_PATH, { allowedOrigins: config.allowedOrigins, trustProxy: config.trustProxy, sessionName: config.sessionName, loginPath: PASSKEY_LOGIN_PATH });
    if (refusal !== null) throw new HttpError(403, CROSS_SITE_REFUSED);
    const body = await readObject(request, config.maxBodyBytes);
    const { user } = await passkeys.authenticate(body, request, { userId: null, requireUserVerification: true });
    const login = await sessions.createForLogin(user, { factors: ["passkey_verified"], clientAddress, userAgent: request.headers.get("user-agent") });
    if ("refused" in login) throw new HttpError(401, "the account changed meanwhile; sign in again");
    const cookie = serializeCookie(config.sessionName, login.sessionId, { ...sessionCookieOptions(config, request), maxAge: sessions.cookieMaxAge() });
    return json(toPublicUser(login.user), 200, { "Set-Cookie": cookie });
  }, PUBLIC);
}
