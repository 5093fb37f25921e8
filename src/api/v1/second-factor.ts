/**
 * A second factor given after the sign-in: a session that proved one factor (a provider's
 * sign-in that did not report multi-factor authentication, or a password session from before the
 * user turned a factor on) proves a second with `code` or `passkey`, as the login takes them. The
 * answer is a new session proving both (the old one ends: a session's id changes whenever what it
 * proves does); the check is counted against the account as a password is. This is how an
 * access rule's step-up and a provider's sign-in reach a user's own second factor.
 */
import { requestOrigin } from "../../audit.ts";
import type { FoundSession, SessionKeeper } from "../../auth/auth.ts";
import { checkSecondFactors, enrolledFactors, type SecondFactorUsed } from "../../auth/factors/second-factor.ts";
import { toPublicUser, type UserRecord } from "../../domain/user.ts";
import { HttpError, json } from "../../http/responses.ts";
import { isMultiFactor } from "../../sessions/factors.ts";
import type { ApiDeps, ApiRouter, RequestContext } from "./context.ts";
import { readBodyFields, SECOND_FACTOR_REQUIRED } from "./session-auth.ts";
import { upgradeSession } from "./session-upgrade.ts";

export const SECOND_FACTOR_PATH = "/api/v1/auth_session/second_factor";

const NO_FACTOR = "no second factor is set up for this account";
const ALREADY = "this session proved a second factor already";
const WRONG = "wrong code";

export function registerSecondFactorRoutes(router: ApiRouter, auth: SessionKeeper, { config, credentials, secondFactors, totp, audit }: ApiDeps): void {
  const signedIn = async ({ request, currentUser }: RequestContext): Promise<{ user: UserRecord; session: FoundSession }> => {
    const session = await auth.requestSession(request);
    if (currentUser === null || session === null) throw new HttpError(403, "Forbidden");
    return { user: currentUser, session };
  };

  // What the page asks before it sends a signed-in browser on: does this session still owe a factor?
  router.add("GET", SECOND_FACTOR_PATH, async (context) => {
    const { user, session } = await signedIn(context);
    const factors = await enrolledFactors(secondFactors, user.id);
    // `required`: forward authentication refuses this session until it proves one.
    const required = !(await totp.sessionPassed(user.id, () => session));
    return json({ factors, multi_factor: isMultiFactor(session.factors), required, session_factors: session.factors }, 200, { "Cache-Control": "no-store" });
  });

  router.add("POST", SECOND_FACTOR_PATH, async (context) => {
    const { request, clientAddress } = context;
    const { user, session } = await signedIn(context);
    if (isMultiFactor(session.factors)) throw new HttpError(409, ALREADY);
    const fields = await readBodyFields(request, config.maxBodyBytes);
    const factors = await enrolledFactors(secondFactors, user.id);
    if (factors.length === 0) throw new HttpError(409, NO_FACTOR);
    // Nothing sent to check is no guess: it is not counted.
    const empty = (value: unknown) => value === undefined || value === null || value === "";
    if (empty(fields.code) && empty(fields.passkey)) return json({ error: SECOND_FACTOR_REQUIRED, factors }, 401);
    let used: SecondFactorUsed | null = null;
    await credentials.checkCode(user, clientAddress, async () => {
      const outcome = await checkSecondFactors(secondFactors, user, fields, { request, clientAddress });
      if (outcome.result === "ok") used = outcome.used;
      return used !== null;
    });
    const origin = requestOrigin(request, clientAddress);
    if (used === null) {
      audit.record("factor.failed", { ...origin, user_id: user.id, actor: user.id, reason: "wrong_code" });
      throw new HttpError(401, WRONG);
    }
    const proved: SecondFactorUsed = used;
    audit.record("factor.ok", { ...origin, user_id: user.id, actor: user.id, factor: proved });
    // A new full login: the session that proved one factor is replaced by one that proves both.
    const upgraded = await upgradeSession({ auth, config, audit }, context, user, session, proved);
    return json(toPublicUser(upgraded.user), 200, { "Set-Cookie": upgraded.setCookie });
  });
}
