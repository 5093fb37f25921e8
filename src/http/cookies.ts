/** Cookie header parsing and Set-Cookie serialising (RFC 6265), in the manner of jshttp/cookie. */

// RFC 6265 section 4.1.1: cookie-name is an RFC 7230 token; cookie-value is cookie-octets.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const PATH_VALUE = /^[\x20-\x3A\x3C-\x7E]*$/;

/** True for a name a Set-Cookie header can carry (an RFC 7230 token). */
export function isCookieName(name: string): boolean {
  return COOKIE_NAME.test(name);
}

/**
 * Parses a Cookie header into name → value. Never throws: segments without `=` and pairs with an
 * empty name are skipped, the first occurrence of a name wins, `%XX` is decoded only where it
 * decodes cleanly. Every pair is read, however many: the cost is linear in the header's length.
 */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header) scan(header, null, cookies);
  return cookies;
}

/**
 * The value of the first cookie called `name`, or null: what parseCookies(header).get(name)
 * answers. It runs on every request, so it compares names in place and slices only the value.
 */
export function getCookie(header: string | null | undefined, name: string): string | null {
  if (!header || name === "") return null;
  return scan(header, name, null);
}

/**
 * The one scan of a Cookie header, after jshttp/cookie's `parse`: find the next `=` and the next
 * `;`; when the `;` comes first, the segments before the `=` are flags (no `=`), so jump past the
 * last `;` before it at once, which keeps a long run of flags linear. With `wanted`, returns that
 * cookie's first value (or null); otherwise adds every first occurrence to `into`.
 */
function scan(header: string, wanted: string | null, into: Map<string, string> | null): string | null {
  const length = header.length;
  let index = 0;
  while (index < length) {
    const equals = header.indexOf("=", index);
    if (equals === -1) break;
    let end = header.indexOf(";", index);
    if (end === -1) end = length;
    if (end < equals) {
      index = header.lastIndexOf(";", equals - 1) + 1;
      continue;
    }
    const nameStart = skipSpace(header, index, equals);
    const nameEnd = trimSpace(header, nameStart, equals);
    if (nameEnd > nameStart) {
      if (wanted !== null) {
        if (nameEnd - nameStart === wanted.length && header.startsWith(wanted, nameStart)) return value(header, equals + 1, end);
      } else {
        const name = header.slice(nameStart, nameEnd);
        if (!into!.has(name)) into!.set(name, value(header, equals + 1, end));
      }
    }
    index = end + 1;
  }
  return null;
}

/** The first index in [start, end) that is not a space or tab, or end. */
function skipSpace(text: string, start: number, end: number): number {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  return start;
}

/** The end of [start, end) without its trailing spaces and tabs. */
function trimSpace(text: string, start: number, end: number): number {
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return end;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** The cookie value in header[start, end): trimmed, unquoted, `%XX` decoded where that succeeds. */
function value(header: string, start: number, end: number): string {
  start = skipSpace(header, start, end);
  end = trimSpace(header, start, end);
  if (end - start >= 2 && header.charCodeAt(start) === 0x22 && header.charCodeAt(end - 1) === 0x22) {
    start += 1;
    end -= 1;
  }
  const raw = header.slice(start, end);
  if (raw.indexOf("%") === -1) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
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
