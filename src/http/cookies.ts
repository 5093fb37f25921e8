/** Cookie header parsing and Set-Cookie serialising (RFC 6265), in the manner of jshttp/cookie. */

/** Caps how many pairs one header may contribute, so a huge header costs bounded work. */
const MAX_COOKIE_PAIRS = 256;

// RFC 6265 section 4.1.1: cookie-name is an RFC 7230 token; cookie-value is cookie-octets.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const PATH_VALUE = /^[\x20-\x3A\x3C-\x7E]*$/;

/** True for a name a Set-Cookie header can carry (an RFC 7230 token). */
export function isCookieName(name: string): boolean {
  return COOKIE_NAME.test(name);
}

/**
 * Parses a Cookie header into name → value. Never throws: pairs without `=` are skipped,
 * the first occurrence of a name wins, `%XX` is decoded only where it decodes cleanly.
 */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  forEachPair(header, (name, rawValue) => {
    if (!cookies.has(name)) cookies.set(name, decodeValue(rawValue));
    return cookies.size < MAX_COOKIE_PAIRS;
  });
  return cookies;
}

/**
 * The value of the first cookie called `name`, or null. It runs on every request, so it is the
 * same scan as parseCookies written out flat: no Map, no callback.
 */
export function getCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  const length = header.length;
  let index = 0;
  for (let pairs = 0; index < length && pairs < MAX_COOKIE_PAIRS; pairs++) {
    const equals = header.indexOf("=", index);
    if (equals === -1) return null;
    let end = header.indexOf(";", index);
    if (end === -1) end = length;
    if (end < equals) {
      index = end + 1;
      continue;
    }
    if (header.slice(index, equals).trim() === name) return decodeValue(header.slice(equals + 1, end));
    index = end + 1;
  }
  return null;
}

/** Calls `visit` with each trimmed name and raw value until it returns false. */
function forEachPair(header: string, visit: (name: string, rawValue: string) => boolean): void {
  const length = header.length;
  let index = 0;
  let pairs = 0;
  while (index < length && pairs < MAX_COOKIE_PAIRS) {
    const equals = header.indexOf("=", index);
    if (equals === -1) return;
    let end = header.indexOf(";", index);
    if (end === -1) end = length;
    if (end < equals) {
      // A pair with no `=` ("flag;"): skip it.
      index = end + 1;
      continue;
    }
    pairs += 1;
    const name = header.slice(index, equals).trim();
    if (name !== "" && !visit(name, header.slice(equals + 1, end))) return;
    index = end + 1;
  }
}

function decodeValue(raw: string): string {
  let value = raw.trim();
  if (value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) {
    value = value.slice(1, -1);
  }
  if (value.indexOf("%") === -1) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export interface CookieOptions {
  path?: string;
  /** `Domain`: the cookie goes to this host and its subdomains; absent, to this host only. */
  domain?: string;
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "Strict" | "Lax" | "None";
}

/**
 * Builds a Set-Cookie value. Strict: a name, value or path that could smuggle in an attribute
 * throws at once instead of producing a header a browser would misread.
 */
/** A host name: letters, digits, hyphens and dots. */
const DOMAIN_VALUE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!isCookieName(name)) throw new TypeError("invalid cookie name");
  if (!COOKIE_VALUE.test(value)) throw new TypeError("invalid cookie value");
  let cookie = `${name}=${value}`;
  if (options.maxAge !== undefined) {
    if (!Number.isInteger(options.maxAge)) throw new TypeError("invalid cookie maxAge");
    cookie += `; Max-Age=${options.maxAge}`;
  }
  if (options.path !== undefined) {
    if (!PATH_VALUE.test(options.path)) throw new TypeError("invalid cookie path");
    cookie += `; Path=${options.path}`;
  }
  if (options.domain !== undefined) {
    if (!DOMAIN_VALUE.test(options.domain)) throw new TypeError("invalid cookie domain");
    cookie += `; Domain=${options.domain}`;
  }
  if (options.httpOnly) cookie += "; HttpOnly";
  if (options.secure) cookie += "; Secure";
  if (options.sameSite) cookie += `; SameSite=${options.sameSite}`;
  return cookie;
}
