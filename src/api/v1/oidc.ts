/**
 * Sign-in with a provider: `GET /api/v1/auth_session/oidc/<name>/login[?rd=]` sends the browser
 * to the provider with a state bound to it (a short-lived cookie naming a single-use entry kept
 * here), a nonce and a PKCE challenge; `GET …/callback` checks the state, lets the provider
 * module check the rest, links the identity to an account by (issuer, subject) and ends like a
 * password login: throttled per client, a session recording the factor, the audit line, a 302
 * to the checked return address. Every refusal is a plain 4xx page, a provider's failure a
 * 502 or 504 page; never a session. `GET /api/v1/auth_session/identities` lists the signed-in
 * user's links.
 */
import type { SessionKeeper } from "../../auth/auth.ts";
import { ProviderFailed, SignInRefused } from "../../auth/providers/errors.ts";
import type { IdentityProvider, ProviderIdentity } from "../../auth/providers/identity-provider.ts";
import { decideLink, type LinkRules } from "../../auth/providers/linking.ts";
import { PENDING_LIFETIME_MS, PendingSignIns } from "../../auth/providers/pending-sign-ins.ts";
import { newCodeVerifier } from "../../auth/providers/pkce.ts";
import { randomToken } from "../../auth/providers/base64url.ts";
import { type LoginThrottle, ThrottledError } from "../../auth/throttle.ts";
import type { Config } from "../../config.ts";
import { type Clock, newBaseRecord, parseTimestamp } from "../../domain/base.ts";
import { type IdentityRecord, identityJson, linkKey } from "../../domain/identity.ts";
import { FIELD_LIMITS, storable, type UserRecord } from "../../domain/user.ts";
import { isHttps } from "../../http/client-address.ts";
import { type CookieOptions, getCookie, serializeCookie } from "../../http/cookies.ts";
import { HttpError, json } from "../../http/responses.ts";
import { pageReturnAddress } from "../../http/return-address.ts";
import { type AuditTrail, requestOrigin } from "../../audit.ts";
import type { Logger } from "../../logger.ts";
import type { Factor } from "../../sessions/factors.ts";
import type { IdentityStore } from "../../storage/identity-store.ts";
import { UniqueConstraintError } from "../../storage/record-store.ts";
import type { UserStore } from "../../storage/user-store.ts";
import { signInProblemPage } from "../../web/sign-in-page.ts";
import { type ApiRouter, PUBLIC } from "./context.ts";

export const OIDC_PATH_PREFIX = "/api/v1/auth_session/oidc/";

export interface OidcRouteDeps {
  config: Config;
  users: UserStore;
  identities: IdentityStore;
  auth: SessionKeeper;
  throttle: LoginThrottle;
  logger: Logger;
  /** Security events (the log keeps its own lines, with the details). */
  audit: AuditTrail;
  clock: Clock;
  providers: readonly IdentityProvider[];
}

/** A refusal decided here (state, linking), as a page. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

const LINK_RACE = "this account was being linked at the same moment: sign in again";
/** How long a link may name a user not yet stored: the time its sign-in takes to store the user. */
const NEW_LINK_MS = 60_000;

const STATE_EXPIRED = "this sign-in expired or was started in another browser: start it again from the login page";

export function registerOidcRoutes(router: ApiRouter, deps: OidcRouteDeps): void {
  const { config, users, identities, auth, throttle, logger, audit, clock } = deps;
  const providers = new Map(deps.providers.map((provider) => [provider.name, provider]));
  const pending = new PendingSignIns(clock);
  const stateCookie = `${config.sessionName}_oidc`;
  const cookieOptions = (request: Request): CookieOptions => ({ path: OIDC_PATH_PREFIX, httpOnly: true, sameSite: "Lax", secure: config.cookieSecure || isHttps(request, config.trustProxy) });
  const clearState = (request: Request) => serializeCookie(stateCookie, "", { ...cookieOptions(request), maxAge: 0 });
  const callbackUrl = (name: string) => `${config.publicUrl}${OIDC_PATH_PREFIX}${name}/callback`;
  const rulesOf = new Map<string, LinkRules>(config.oidcProviders.map((provider) => [provider.name, provider]));

  const failed = (provider: string, client: string, reason: string, detail: string) => {
    logger.info(`sign-in with ${provider} refused: ${detail}`, { event: "sign-in-refused", provider, client, reason });
    audit.record("login.failed", { client, reason, method: "oidc", provider });
  };

  /** The page for what went wrong; the state cookie cleared. */
  const problem = (request: Request, provider: string, client: string, error: unknown): Response => {
    const headers = { "Set-Cookie": clearState(request) };
    if (error instanceof SignInRefused) {
      failed(provider, client, error.step || "refused", error.message);
      return signInProblemPage(error.status, error.message, headers);
    }
    if (error instanceof Refusal) {
      failed(provider, client, error.reason, error.message);
      return signInProblemPage(error.status, error.message, headers);
    }
    if (error instanceof ProviderFailed) {
      const reason = error.status === 504 ? "provider-timeout" : "provider-error";
      logger.error(`sign-in with ${provider} failed: ${error.message}`, { event: "sign-in-failed", provider, client, reason });
      audit.record("login.failed", { client, reason, method: "oidc", provider });
      const message = error.status === 504 ? "the sign-in provider did not answer in time; try again in a moment" : "the sign-in provider could not complete the sign-in; try again in a moment";
      return signInProblemPage(error.status, message, headers);
    }
    if (error instanceof ThrottledError) {
      failed(provider, client, "throttled", "too many attempts");
      return signInProblemPage(429, `too many attempts: try again in ${error.retryAfterSeconds} seconds`, { ...headers, "Retry-After": String(error.retryAfterSeconds) });
    }
    throw error;
  };

  router.add("GET", `${OIDC_PATH_PREFIX}:name/login`, async ({ request, params, clientAddress }) => {
    const provider = providers.get(params.name!);
    if (provider === undefined) return signInProblemPage(404, "no sign-in provider has this name");
    const state = randomToken();
    const entry = { provider: provider.name, returnTo: pageReturnAddress(request, config), nonce: randomToken(), codeVerifier: newCodeVerifier(), redirectUri: callbackUrl(provider.name) };
    let location: string;
    try {
      location = await provider.authorizationUrl(state, entry);
    } catch (error) {
      return problem(request, provider.name, clientAddress, error);
    }
    pending.add(state, entry);
    const cookie = serializeCookie(stateCookie, state, { ...cookieOptions(request), maxAge: PENDING_LIFETIME_MS / 1000 });
    return new Response(null, { status: 302, headers: { Location: location, "Set-Cookie": cookie, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
  }, PUBLIC);

  router.add("GET", `${OIDC_PATH_PREFIX}:name/callback`, async ({ request, params, clientAddress }) => {
    const provider = providers.get(params.name!);
    if (provider === undefined) return signInProblemPage(404, "no sign-in provider has this name");
    const parameters = new URL(request.url).searchParams;
    try {
      // Every callback counts against its client, as a password attempt does; a sign-in gives it back.
      await throttle.takeClient(clientAddress);
      const state = parameters.get("state");
      const bound = getCookie(request.headers.get("cookie"), stateCookie);
      // The state must be the one this browser was given (RFC 6749 §10.12), and is used up either way.
      const entry = state !== null && state.length <= 128 ? pending.take(state) : null;
      if (entry === null || bound !== state || entry.provider !== provider.name) throw new Refusal(400, STATE_EXPIRED, "state");
      const identity = await provider.finish(parameters, entry);
      const user = await accountFor(provider, identity);
      const factors: Factor[] = [identity.multiFactor ? "oidc_mfa" : "oidc"];
      const login = await auth.sessions.createForLogin(user, { factors, clientAddress, userAgent: request.headers.get("user-agent") });
      if ("refused" in login) throw new Refusal(403, "this account changed while signing in: sign in again", login.refused);
      await throttle.giveBackClient(clientAddress);
      audit.record("login.ok", { ...requestOrigin(request, clientAddress), user_id: login.user.id, actor: login.user.id, method: "oidc", provider: provider.name, factors: factors.join(",") });
      const sessionCookie = serializeCookie(config.sessionName, login.sessionId, {
        path: "/",
        httpOnly: true,
        sameSite: "Lax",
        secure: config.cookieSecure || isHttps(request, config.trustProxy),
        ...(config.cookieDomain ? { domain: config.cookieDomain } : {}),
        maxAge: auth.sessions.cookieMaxAge(),
      });
      const headers = new Headers({ Location: entry.returnTo ?? "/", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" });
      headers.append("Set-Cookie", clearState(request));
      headers.append("Set-Cookie", sessionCookie);
      return new Response(null, { status: 302, headers });
    } catch (error) {
      // A failed callback stays counted, as a wrong password does.
      return problem(request, provider.name, clientAddress, error);
    }
  }, PUBLIC);

  /**
   * The account the identity signs in to, linking or creating it as the rules allow; Refusal
   * otherwise. The link is stored before a new user, so that of two first sign-ins at once the
   * unique (issuer, subject) picks one, and the other signs in to the user it made.
   */
  async function accountFor(provider: IdentityProvider, identity: ProviderIdentity): Promise<UserRecord> {
    const key = linkKey(identity.issuer, identity.subject);
    const [link] = await identities.search({ link_key: key });
    const linked = link === undefined ? null : await ownerOf(link);
    const email = identity.emailVerified && identity.email !== null && storable(identity.email, FIELD_LIMITS.email) === null ? identity.email : null;
    const sameEmail = linked === null && email !== null ? await users.search({ email }) : [];
    const decision = decideLink(identity, rulesOf.get(provider.name)!, { linked, sameEmail });
    switch (decision.kind) {
      case "linked":
        return decision.user;
      case "refused":
        throw new Refusal(403, decision.message, decision.reason);
      case "link-by-email": {
        const winner = await saveLink(provider, identity, key, decision.user.id);
        return winner === null ? decision.user : linkedOwner(winner);
      }
      case "create": {
        const user: UserRecord = { ...newBaseRecord(clock), email, _password: null, first_name: identity.firstName, last_name: identity.lastName };
        const winner = await saveLink(provider, identity, key, user.id);
        if (winner !== null) return linkedOwner(winner);
        try {
          await users.save(user);
        } catch (error) {
          await identities.removeWhere({ link_key: key, user_id: user.id });
          if (error instanceof UniqueConstraintError) throw new Refusal(403, "this account is not allowed here: an account with this email exists, and this provider may not sign in to it", "email-taken");
          throw error;
        }
        audit.record("user.created", { user_id: user.id, actor: "system", method: "oidc", provider: provider.name });
        return user;
      }
    }
  }

  /** Stores a link; null when stored, else the link a concurrent first sign-in stored meanwhile. */
  async function saveLink(provider: IdentityProvider, identity: ProviderIdentity, key: string, userId: string): Promise<IdentityRecord | null> {
    const record: IdentityRecord = { ...newBaseRecord(clock), user_id: userId, provider: provider.name, issuer: identity.issuer, subject: identity.subject, link_key: key, email: identity.email };
    try {
      await identities.save(record);
    } catch (error) {
      if (!(error instanceof UniqueConstraintError)) throw error;
      const [winner] = await identities.search({ link_key: key });
      if (winner === undefined) throw new Refusal(409, LINK_RACE, "link-race");
      return winner;
    }
    audit.record("factor.added", { user_id: userId, factor: "oidc", method: "oidc", provider: provider.name });
    return null;
  }

  async function linkedOwner(link: IdentityRecord): Promise<UserRecord> {
    const owner = await ownerOf(link);
    if (owner === null) throw new Refusal(409, LINK_RACE, "link-race");
    return owner;
  }

  /**
   * The user a link names. A link stored a moment ago may name a user still being stored by the
   * sign-in that made it: waited for, briefly. An older one whose user is gone was left by a
   * deletion where this store was not open: it goes, and the sign-in is a first one again.
   */
  async function ownerOf(link: IdentityRecord): Promise<UserRecord | null> {
    for (let attempt = 0; ; attempt++) {
      const user = await users.get(link.user_id, { fresh: true });
      if (user !== null) return user;
      if (clock() - parseTimestamp(link.created_at) > NEW_LINK_MS) {
        await identities.remove(link.id);
        return null;
      }
      if (attempt >= 40) throw new Refusal(409, LINK_RACE, "link-race");
      await Bun.sleep(50);
    }
  }

  router.add("GET", "/api/v1/auth_session/identities", async ({ request, currentUser }) => {
    const session = await auth.requestSession(request);
    if (currentUser === null || session === null) throw new HttpError(403, "Forbidden");
    const links = await identities.search({ user_id: currentUser.id });
    return json(links.map(identityJson).sort((a, b) => a.linked_at.localeCompare(b.linked_at)));
  });
}
