/**
 * Forward authentication: `/api/v1/auth/verify`, any method, for a reverse proxy (nginx
 * `auth_request`, Caddy `forward_auth`, Traefik `ForwardAuth`) to ask who the original request's
 * headers name. The user is found exactly as the request guard finds one. Found: 200 with
 * Remote-User / Remote-Email / Remote-Name and no body; not found, for whatever reason: 401,
 * or, for a browser navigation when a login page that passes the return-address check is known,
 * a 302 there carrying the original address (when that passes too). A store that cannot be
 * reached is a 503, never a 200.
 *
 * With access rules (ACCESS_RULES), the original request (X-Original-URL, or X-Forwarded-Host,
 * -Uri and -Method) is decided by them first: a bypass is a 200 without identity headers, a deny
 * a 403, a rule that needs a login is answered as above, a signed-in user the rules do not admit
 * gets a 403 (never a redirect, which would loop), and a two_factor rule with a session that
 * passed one factor sends a browser to the login page for a new, full login (`step_up=1`).
 */
import type { Auth } from "../../auth/auth.ts";
import { type AccessDeps, type AccessOutcome, checkAccess, type GroupsOf } from "../../auth/rules/access-check.ts";
import { requestTarget } from "../../auth/rules/target.ts";
import { ThrottledError } from "../../auth/throttle.ts";
import type { Config } from "../../config.ts";
import { loginRedirect, requestedHost, returnPolicy } from "../../http/return-address.ts";
import { jsonError } from "../../http/responses.ts";
import { andThen, type MaybePromise } from "../../maybe-promise.ts";
import type { UserRecord } from "../../domain/user.ts";
import type { RequestContext } from "./context.ts";

export const VERIFY_PATH = "/api/v1/auth/verify";

const NO_STORE = { "Cache-Control": "no-store" };

/** Text that can go out as it is: printable ASCII only (most ids, emails and names). */
const PLAIN = /^[\u0020-\u007e]*$/;
/** Control characters (C0, DEL, C1): a line break or NUL would end the header or start another. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A header value carrying `text` as its UTF-8 bytes, the way Authelia and tinyauth send names:
 * Bun sends each character of a header value as one byte (and refuses those above U+00FF), so
 * the value is written one character per byte of the UTF-8. Control characters are left out.
 */
export function headerValue(text: string | null): string {
  if (text === null) return "";
  if (PLAIN.test(text)) return text;
  return Buffer.from(text.replace(CONTROLS, ""), "utf8").toString("latin1");
}

function found(user: UserRecord, groups: readonly string[]): Response {
  const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
  const headers: Record<string, string> = { ...NO_STORE, "Remote-User": headerValue(user.id), "Remote-Email": headerValue(user.email), "Remote-Name": headerValue(name) };
  // Group names are letters, digits, `.`, `_` and `-`: a comma never occurs inside one. Sent
  // empty for no groups: Caddy's copy_headers would otherwise hand the app its placeholder text.
  headers["Remote-Groups"] = groups.join(",");
  return new Response(null, { status: 200, headers });
}

/**
 * The rules let the request through without looking who it is: nothing is said about anyone.
 * The identity headers are there, empty: Caddy's copy_headers would otherwise hand the app its
 * own placeholder text (`{http.reverse_proxy.header.Remote-User}`) for each missing one.
 */
const NOBODY = { ...NO_STORE, "Remote-User": "", "Remote-Email": "", "Remote-Name": "", "Remote-Groups": "" };
const bypassed = () => new Response(null, { status: 200, headers: NOBODY });

/** The address the browser asked the proxy for, from the headers proxies send. */
export function originalUrl(headers: Headers): string | null {
  const original = headers.get("x-original-url");
  if (original) return original;
  const host = headers.get("x-forwarded-host");
  if (!host) return null;
  const proto = headers.get("x-forwarded-proto") ?? "http";
  return `${proto.split(",")[0]!.trim()}://${host.split(",")[0]!.trim()}${headers.get("x-forwarded-uri") ?? "/"}`;
}

/** A navigation of a browser's (a page it will show), as opposed to an API call. */
function isNavigation(headers: Headers): boolean {
  const mode = headers.get("sec-fetch-mode");
  if (mode !== null) return mode === "navigate";
  return (headers.get("accept") ?? "").includes("text/html");
}

/** Whether the request's credentials passed every factor their user has; true when that is not in doubt. */
export type FactorsPassed = (request: Request, user: UserRecord) => MaybePromise<boolean>;

/** How verify learns a user's groups and whether the session passed the user's factors, and the access rules when ACCESS_RULES is set. */
export interface VerifyOptions {
  groupsOf?: GroupsOf;
  factorsPassed?: FactorsPassed;
  access?: AccessDeps | null;
}

const noGroups: GroupsOf = () => [];

export function verifyHandler(auth: Auth | null, config: Config, options: VerifyOptions = {}): (context: RequestContext) => MaybePromise<Response> {
  const groupsOf = options.groupsOf ?? noGroups;
  const factorsPassed: FactorsPassed = options.factorsPassed ?? (() => true);
  const access = options.access ?? null;
  /**
   * The login page a browser navigation goes to: the verify URL's `?login=`, else
   * FORWARD_AUTH_LOGIN_URL, each only if it passes the return-address check for the host the
   * browser asked for (the `?login=` can come from whoever reaches this URL).
   */
  const loginAddress = (request: Request): string | null => {
    // Most requests carry no ?login=: the URL is parsed only for those that do.
    const asked = request.url.includes("login=") ? new URL(request.url, "http://localhost").searchParams.get("login") : null;
    if (asked === null && config.forwardAuthLoginUrl === null) return null;
    return loginRedirect([asked, config.forwardAuthLoginUrl], originalUrl(request.headers), returnPolicy(requestedHost(request.headers), config));
  };
  const notFound = (request: Request): Response => {
    const location = isNavigation(request.headers) ? loginAddress(request) : null;
    if (location !== null) return new Response(null, { status: 302, headers: { ...NO_STORE, Location: location } });
    return jsonError(401, "Unauthorized", NO_STORE);
  };
  /** A session that passed one factor, at a rule that wants two: a new full login, never an upgrade of this one. */
  const stepUp = (request: Request): Response => {
    const location = isNavigation(request.headers) ? loginAddress(request) : null;
    if (location === null) return jsonError(401, "Unauthorized: a second factor is needed here", NO_STORE);
    const target = new URL(location);
    // The login page reads `rd` to the end of the query: the marker goes before it.
    const rd = target.searchParams.get("rd");
    target.searchParams.delete("rd");
    target.searchParams.set("step_up", "1");
    if (rd !== null) target.searchParams.set("rd", rd);
    return new Response(null, { status: 302, headers: { ...NO_STORE, Location: target.href } });
  };
  const decided = (request: Request, outcome: AccessOutcome): MaybePromise<Response> => {
    switch (outcome.verdict) {
      case "bypass":
        return bypassed();
      case "deny":
        return jsonError(403, "Forbidden", NO_STORE);
      case "login":
        return notFound(request);
      case "allow":
        return andThen(factorsPassed(request, outcome.user!), (yes) => (yes ? found(outcome.user!, outcome.groups) : notFound(request)));
      case "step-up":
        return stepUp(request);
    }
  };
  // A user with a second factor whose session did not prove it is not signed in here.
  const withGroups = (request: Request) => (user: UserRecord | null) =>
    user ? andThen(factorsPassed(request, user), (yes) => (yes ? andThen(groupsOf(user), (groups) => found(user, groups)) : notFound(request))) : notFound(request);
  return ({ request, clientAddress }) => {
    if (access !== null) {
      const target = requestTarget(request.headers, request.method, clientAddress);
      if (target.conflicting) return jsonError(403, "Forbidden: the proxy's X-Original-* and X-Forwarded-* headers name different requests", NO_STORE);
      return andThen(checkAccess(access, request, target, clientAddress), (outcome) => decided(request, outcome));
    }
    if (auth === null) return notFound(request);
    // A throttled Basic attempt is simply not let in: a proxy understands 401, not 429.
    const refused = (error: unknown): Response => {
      if (error instanceof ThrottledError) return notFound(request);
      throw error;
    };
    try {
      return andThen(auth.currentUser(request, clientAddress), withGroups(request), refused);
    } catch (error) {
      return refused(error);
    }
  };
}
