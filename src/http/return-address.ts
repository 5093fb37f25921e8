/**
 * Where the login page may send a browser back to (`/?rd=<url>`): only an absolute http(s)
 * address on this server's host, on a host the operator allowed, or under COOKIE_DOMAIN. Anything
 * else (another host, `//evil`, `javascript:`, backslashes, user-info tricks) is ignored.
 */

export interface ReturnPolicy {
  /** This server's host, as the request named it (no port). */
  ownHost: string | null;
  allowedHosts: ReadonlySet<string>;
  cookieDomain: string | null;
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
