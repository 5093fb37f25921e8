/**
 * Forward authentication: `/api/v1/auth/verify`, any method, for a reverse proxy (nginx
 * `auth_request`, Caddy `forward_auth`, Traefik `ForwardAuth`) to ask who the original request's
 * headers name. The user is found exactly as the request guard finds one. Found: 200 with
 * Remote-User / Remote-Email / Remote-Name and no body; not found, for whatever reason: 401,
 * or, for a browser navigation when a login page that passes the return-address check is known,
 * a 302 there carrying the original address (when that passes too). A store that cannot be
 * reached is a 503, never a 200.
 */
import type { Auth } from "../../auth/auth.ts";
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

function found(user: UserRecord): Response {
  const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
  return new Response(null, {
    status: 200,
    headers: { ...NO_STORE, "Remote-User": headerValue(user.id), "Remote-Email": headerValue(user.email), "Remote-Name": headerValue(name) },
  });
}

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

export function verifyHandler(auth: Auth | null, config: Config, factorsPassed: FactorsPassed = () => true): (context: RequestContext) => MaybePromise<Response> {
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
  return ({ request, clientAddress }) => {
    if (auth === null) return notFound(request);
    // A throttled Basic attempt is simply not let in: a proxy understands 401, not 429.
    const refused = (error: unknown): Response => {
      if (error instanceof ThrottledError) return notFound(request);
      throw error;
    };
    try {
      const passed = (user: UserRecord) => andThen(factorsPassed(request, user), (yes) => (yes ? found(user) : notFound(request)));
      return andThen(auth.currentUser(request, clientAddress), (user) => (user ? passed(user) : notFound(request)), refused);
    } catch (error) {
      return refused(error);
    }
  };
}
