/**
 * Every address a browser is sent to: the login page's and the logout link's return address
 * (`/?rd=<url>`, `/logout?rd=<url>`), and
 * verify's login page and the `rd` it carries. Only an absolute http(s) address on the host the
 * browser asked for, on a host the operator allowed, or under COOKIE_DOMAIN passes. Anything
 * else (another host, `//evil`, `javascript:`, backslashes, user-info tricks) is ignored.
 */

export interface ReturnPolicy {
  /** This server's host, as the request named it (no port). */
  ownHost: string | null;
  allowedHosts: ReadonlySet<string>;
  cookieDomain: string | null;
}

/** The settings a return-address check reads (Config has them). */
export interface RedirectSettings {
  allowedRedirectHosts: ReadonlySet<string>;
  cookieDomain: string | null;
}

/** The check for addresses on `ownHost` (null: none of its own) or on the hosts the settings allow. */
export function returnPolicy(ownHost: string | null, settings: RedirectSettings): ReturnPolicy {
  return { ownHost, allowedHosts: settings.allowedRedirectHosts, cookieDomain: settings.cookieDomain };
}

/** The return address, normalised, if it may be followed; else null. */
export function safeReturnAddress(rd: string | null, policy: ReturnPolicy): string | null {
  if (!rd || rd.length > 2048) return null;
  // Browsers read a backslash as a slash and drop tabs and newlines: none belongs in an address.
  if (/[\\\s\u0000-\u001f]/.test(rd) || !/^https?:\/\//i.test(rd)) return null;
  let url: URL;
  try {
    url = new URL(rd);
  } catch {
    return null;
  }
  if (url.username !== "" || url.password !== "") return null;
  const host = url.hostname.toLowerCase();
  const allowed =
    host === policy.ownHost ||
    policy.allowedHosts.has(host) ||
    (policy.cookieDomain !== null && (host === policy.cookieDomain || host.endsWith(`.${policy.cookieDomain}`)));
  return allowed ? url.href : null;
}

/** The host a Host header names, without its port. */
export function hostOf(hostHeader: string | null): string | null {
  if (!hostHeader) return null;
  const host = hostHeader.toLowerCase();
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * The host a browser asked a forward-auth proxy for: X-Forwarded-Host (Caddy, Traefik), else
 * X-Original-URL's (nginx). Never the Host header: on a request from the proxy it names
 * session-auth's upstream, and would let a `?login=` there pass.
 */
export function requestedHost(headers: Headers): string | null {
  const forwarded = headers.get("x-forwarded-host");
  if (forwarded) return hostOf(forwarded.split(",")[0]!.trim()) || null;
  const original = headers.get("x-original-url");
  if (!original || !/^https?:\/\//i.test(original)) return null;
  try {
    const url = new URL(original);
    return url.username === "" && url.password === "" ? url.hostname.toLowerCase() : null;
  } catch {
    return null;
  }
}

/**
 * Where verify sends a browser that is not signed in: the first of `logins` that passes the
 * check, with the original address as `rd` when that passes too (the login page sends the
 * browser there later). null when none passes.
 */
export function loginRedirect(logins: readonly (string | null)[], original: string | null, policy: ReturnPolicy): string | null {
  for (const login of logins) {
    const address = safeReturnAddress(login, policy);
    if (address === null) continue;
    const rd = safeReturnAddress(original, policy);
    if (rd === null) return address;
    const target = new URL(address);
    target.searchParams.set("rd", rd);
    return target.href;
  }
  return null;
}

/**
 * The `?rd=` of a request's URL, when it may be followed. It is read to the end of the query, so
 * that a proxy may append the address unencoded (nginx's `?rd=$request_uri` keeps the app's own
 * `&`s); an encoded one is decoded.
 */
export function requestedReturnAddress(url: string, policy: ReturnPolicy): string | null {
  const at = url.search(/[?&]rd=/);
  if (at === -1) return null;
  const raw = url.slice(at + 4);
  let rd: string | null = raw;
  if (/^https?%3A/i.test(raw)) {
    try {
      rd = decodeURIComponent(raw);
    } catch {
      rd = null;
    }
  }
  return safeReturnAddress(rd, policy);
}

/** The `?rd=` of a request for one of this server's own pages (the login page, the logout link): on the host the request named. */
export function pageReturnAddress(request: Request, settings: RedirectSettings): string | null {
  return requestedReturnAddress(request.url, returnPolicy(hostOf(request.headers.get("host")), settings));
}
