/**
 * Cross-site request refusal (OWASP CSRF cheat sheet: Fetch Metadata, then the Origin header):
 * a page on another site must not log a visitor's browser into an account (login CSRF), nor
 * change anything with the visitor's session cookie. Requests that carry neither header (curl,
 * scripts) are not browsers' and pass.
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

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** This server's origin as the browser sees it: the scheme it was reached by and the Host it named. */
export function ownOrigin(request: Request, trustProxy: boolean): string | null {
  const host = request.headers.get("host");
  if (!host) return null;
  return `${isHttps(request, trustProxy) ? "https" : "http"}://${host.toLowerCase()}`;
}

/**
 * Whether to refuse a request as cross-site: a state-changing one that is the login or carries
 * the session cookie, sent by a browser from a page of another site (`Sec-Fetch-Site:
 * cross-site`), or, without Fetch Metadata, whose `Origin` is neither this server nor allowed.
 */
export function refusedAsCrossSite(request: Request, path: string, policy: CrossSitePolicy): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  const headers = request.headers;
  const isLogin = path === policy.loginPath || path === `${policy.loginPath}/`;
  if (!isLogin && getCookie(headers.get("cookie"), policy.sessionName) === null) return false;
  const site = headers.get("sec-fetch-site");
  if (site !== null) return site.toLowerCase() === "cross-site";
  const origin = headers.get("origin");
  if (origin === null) return false;
  const lower = origin.toLowerCase();
  return lower !== ownOrigin(request, policy.trustProxy) && !policy.allowedOrigins.has(lower);
}
