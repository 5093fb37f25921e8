/**
 * One-time codes for the signed-in user: enrolment (a secret and its otpauth URI, then a first
 * code that turns the factor on and gives ten recovery codes), removal, and new recovery codes.
 * Bodies are form or JSON. Every code is counted against the account as a password is.
 */
import type { FoundSession, SessionKeeper } from "../../auth/auth.ts";
import { requestOrigin } from "../../audit.ts";
import { TotpStateError } from "../../auth/factors/totp-factor.ts";
import { HttpError, json } from "../../http/responses.ts";
import type { UserRecord } from "../../domain/user.ts";
import { isMultiFactor } from "../../sessions/factors.ts";
import { qrSvg } from "../../web/qr-svg.ts";
import type { ApiDeps, ApiRouter, RequestContext } from "./context.ts";
import { readFields } from "./session-auth.ts";
import { upgradeSession } from "./session-upgrade.ts";

export const WRONG_CODE = "wrong code";

const STATE_STATUS: Record<TotpStateError["reason"], number> = { enabled: 409, "not-pending": 409, "not-enabled": 404 };

export function registerTotpRoutes(router: ApiRouter, auth: SessionKeeper, { config, credentials, totp, audit: trail }: ApiDeps): void {
  const signedInWith = async ({ request, currentUser }: RequestContext): Promise<{ user: UserRecord; session: FoundSession }> => {
    const session = await auth.requestSession(request);
    // A session that did not prove the user's second factor changes nothing about it.
    if (currentUser === null || session === null || !(await totp.sessionPassed(currentUser.id, () => session))) throw new HttpError(403, "Forbidden");
    return { user: currentUser, session };
  };
  const signedIn = async (context: RequestContext): Promise<UserRecord> => (await signedInWith(context)).user;

  /** The `code` field, required. */
  const codeOf = async (request: Request): Promise<string> => {
    const code = (await readFields(request, config.maxBodyBytes)).get("code");
    if (!code) throw new HttpError(400, "code missing");
    return code;
  };

  /** `work` with its TotpStateError as the route's answer. */
  const answering = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof TotpStateError) throw new HttpError(STATE_STATUS[error.reason], error.message);
      throw error;
    }
  };

  const audit = (event: "factor.added" | "factor.removed", user: UserRecord, context: RequestContext, extra: { factor?: string; reason?: string } = {}) =>
    trail.record(event, { ...requestOrigin(context.request, context.clientAddress), user_id: user.id, actor: user.id, factor: "totp", ...extra });

  router.add("GET", "/api/v1/auth_session/totp", async (context) => json(await totp.status((await signedIn(context)).id), 200, { "Cache-Control": "no-store" }));

  // The pending secret's QR code, drawn here: the page shows it as an image from its own origin.
  router.add("GET", "/api/v1/auth_session/totp/qr", async (context) => {
    const uri = await totp.pendingUri(await signedIn(context));
    if (uri === null) throw new HttpError(404, "no enrolment pending");
    return new Response(qrSvg(uri, { label: "QR code of the one-time-code secret" }), { headers: { "Content-Type": "image/svg+xml", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" } });
  });

  router.add("POST", "/api/v1/auth_session/totp", async (context) => {
    const user = await signedIn(context);
    return json(await answering(() => totp.begin(user)), 200, { "Cache-Control": "no-store" });
  });

  router.add("POST", "/api/v1/auth_session/totp/confirm", async (context) => {
    const { user, session } = await signedInWith(context);
    const code = await codeOf(context.request);
    let codes: string[] | null = null;
    await answering(() => credentials.checkCode(user, context.clientAddress, async () => (codes = await totp.confirm(user, code)) !== null));
    if (codes === null) throw new HttpError(401, WRONG_CODE);
    audit("factor.added", user, context);
    // The code just given proves the factor: this session becomes one that proves it too, under a
    // new id. Sessions made before the factor stand as they are; none made after it without a code.
    const upgraded = isMultiFactor(session.factors) ? null : await upgradeSession({ auth, config, audit: trail }, context, user, session, "totp");
    return json({ recovery_codes: codes }, 200, { "Cache-Control": "no-store", ...(upgraded ? { "Set-Cookie": upgraded.setCookie } : {}) });
  });

  router.add("DELETE", "/api/v1/auth_session/totp", async (context) => {
    const user = await signedIn(context);
    const code = await codeOf(context.request);
    const removed = await answering(() => credentials.checkCode(user, context.clientAddress, () => totp.remove(user, code)));
    if (!removed) throw new HttpError(401, WRONG_CODE);
    audit("factor.removed", user, context);
    return json({});
  });

  router.add("POST", "/api/v1/auth_session/recovery_codes", async (context) => {
    const user = await signedIn(context);
    const code = await codeOf(context.request);
    let codes: string[] | null = null;
    await answering(() => credentials.checkCode(user, context.clientAddress, async () => (codes = await totp.renewRecoveryCodes(user, code)) !== null));
    if (codes === null) throw new HttpError(401, WRONG_CODE);
    audit("factor.added", user, context, { factor: "recovery_codes", reason: "renewed" });
    return json({ recovery_codes: codes }, 200, { "Cache-Control": "no-store" });
  });
}
