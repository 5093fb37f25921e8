/**
 * Cross-site request refusal (OWASP CSRF cheat sheet: Fetch Metadata, then the Origin header):
 * a page of another origin must not log a visitor's browser into an account (login CSRF), nor
 * change anything with the visitor's session cookie. Another origin on the same site (a sibling
 * subdomain, another port of this host) is another origin too; only ALLOWED_ORIGINS are let in.
 * Requests that carry neither header (curl, scripts) are not browsers' and pass.
 */
import { getCookie } from "./cookies.ts";
import { isHttps } from "./client-address.ts";

export interface CrossSitePolicy {
  /** Origins besides this server's that may post here (`https://app.example.com`). */
  allowedOrigins: ReadonlySet<string>;
  trustProxy: boolean;
  sessionName: string;
  /** The login route: checked whatever cookies the request carries. */
  loginPath: string;
}

export interface CrossSiteRefusal {
  /** The login route; else a state-changing request with the session cookie. */
  login: boolean;
  /** Why, for the log: the origins compared, never a cookie or a body. */
  reason: string;
}

/** The answer to a refused request: what to configure when the page is one's own. */
export const CROSS_SITE_REFUSED =
  "Forbidden: the page's origin is not this server's and not in ALLOWED_ORIGINS (behind a proxy, pass the browser's Host on: nginx proxy_set_header Host $http_host)";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** This server's origin as the browser sees it, and the header its host came from. */
function ownOriginOf(request: Request, trustProxy: boolean): { origin: string; source: string } | null {
  const forwarded = trustProxy ? request.headers.get("x-forwarded-host")?.split(",")[0]!.trim() : undefined;
  const host = forwarded || request.headers.get("host");
  // Anything but host[:port] would let URL read another host out of it.
  if (!host || /[/\\@?#\s]/.test(host)) return null;
  try {
    const origin = new URL(`${isHttps(request, trustProxy) ? "https" : "http"}://${host}`).origin;
    return { origin, source: forwarded ? "X-Forwarded-Host" : "the Host header" };
  } catch {
    return null;
  }
}

/** This server's origin as the browser sees it: the scheme it was reached by and the host it named. */
export function ownOrigin(request: Request, trustProxy: boolean): string | null {
  return ownOriginOf(request, trustProxy)?.origin ?? null;
}

/** A header value for the log: quoted (controls escaped) and cut short. */
const quoted = (text: string) => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);

/**
 * Why to refuse a request as cross-site, or null to let it through. Concerned: a state-changing
 * request that is the login or carries the session cookie. Accepted: the browser's word that the
 * page is this server's (`Sec-Fetch-Site: same-origin`, which no page can forge, and which holds
 * when a proxy does not pass the Host on); an `Origin` that is this server's or in
 * ALLOWED_ORIGINS, whatever Sec-Fetch-Site says; no Origin and no other-site Fetch Metadata
 * (curl, scripts, older browsers' same-origin requests). Everything else, `Origin: null` and
 * `same-site` included, is refused.
 */
export function crossSiteRefusal(request: Request, path: string, policy: CrossSitePolicy): CrossSiteRefusal | null {
  if (SAFE_METHODS.has(request.method)) return null;
  const headers = request.headers;
  const login = path === policy.loginPath || path === `${policy.loginPath}/`;
  if (!login && getCookie(headers.get("cookie"), policy.sessionName) === null) return null;
  const site = headers.get("sec-fetch-site")?.toLowerCase() ?? null;
  if (site === "same-origin") return null;
  const origin = headers.get("origin");
  if (origin === null) {
    if (site === "same-site" || site === "cross-site") return { login, reason: `Sec-Fetch-Site: ${site} without an Origin to check` };
    return null;
  }
  const lower = origin.toLowerCase();
  if (policy.allowedOrigins.has(lower)) return null;
  const own = ownOriginOf(request, policy.trustProxy);
  if (own !== null && lower === own.origin) return null;
  const ours = own === null ? "no Host header names it" : `${quoted(own.origin)}, by ${own.source}`;
  return { login, reason: `Origin ${quoted(origin)} is not this server's origin (${ours}) and not in ALLOWED_ORIGINS` };
}
