/**
 * The request a rule is matched against, in the one spelling rules are written for: the host
 * lowercase without port or trailing dot; the path with `//` collapsed, dot segments removed and
 * percent-encoded unreserved characters (and `%2F`) decoded (RFC 3986 6.2.2), the query left out. An app
 * reads `/%61dmin/./x` as `/admin/x`; a rule must too, or the spelling would walk past it.
 */

/** RFC 3986 unreserved characters: encoding them changes nothing, so they are decoded. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const PERCENT = /%([0-9A-Fa-f]{2})/g;

function decodeUnreserved(path: string): string {
  if (!path.includes("%")) return path;
  return path.replace(PERCENT, (escape, hex: string) => {
    const character = String.fromCharCode(parseInt(hex, 16));
    // `%2F` counts as a `/`: an app that decodes it would otherwise serve `/admin%2Fx` as
    // `/admin/x` past a rule for `/admin`. Other escapes keep one spelling: uppercase hex.
    if (character === "/") return "/";
    return UNRESERVED.test(character) ? character : escape.toUpperCase();
  });
}

/** RFC 3986 5.2.4 on a path whose empty segments are already gone: `.` dropped, `..` takes one off. */
function removeDotSegments(path: string): string {
  const segments = path.split("/");
  const out: string[] = [];
  const last = segments[segments.length - 1];
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  // `/a/.` and `/a/..` name a folder: they keep the trailing slash.
  if (last === "." || last === "..") out.push("");
  return `/${out.join("/")}`;
}

/** A request target's path as rules see it; `/` for an empty one. Never throws. */
export function normalizePath(target: string): string {
  let end = target.length;
  const query = target.indexOf("?");
  if (query !== -1) end = query;
  const hash = target.indexOf("#");
  if (hash !== -1 && hash < end) end = hash;
  let path = target.slice(0, end);
  if (path === "" || path === "/") return "/";
  if (path[0] !== "/") path = `/${path}`;
  path = decodeUnreserved(path);
  // Most paths are plain already: only one with `//` or a dot segment is rebuilt.
  if (path.includes("//")) path = path.replace(/\/{2,}/g, "/");
  if (path.includes("/.")) path = removeDotSegments(path);
  return path;
}

/** A host as rules compare it: lowercase, without port, brackets kept off IPv6, no trailing dot. */
export function normalizeHost(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith("[")) {
    const close = name.indexOf("]");
    name = close === -1 ? name.slice(1) : name.slice(1, close);
  } else {
    const colon = name.indexOf(":");
    // More than one colon: an IPv6 address without brackets, which has no port.
    if (colon !== -1 && name.indexOf(":", colon + 1) === -1) name = name.slice(0, colon);
  }
  while (name.endsWith(".")) name = name.slice(0, -1);
  return name;
}

/** The original request as the proxy described it; host and path are null when it did not. */
export interface RequestTarget {
  host: string | null;
  path: string | null;
  method: string;
  /**
   * Two descriptions that disagree: each proxy writes one family of headers (nginx
   * `X-Original-*`, Caddy and Traefik `X-Forwarded-*`) and passes the client's own of the other
   * on, so a client could otherwise name `/health` while asking for `/admin`.
   */
  conflicting: boolean;
}

function fromOriginalUrl(original: string): { host: string | null; path: string | null } {
  const scheme = original.indexOf("://");
  if (scheme === -1) return { host: null, path: original.startsWith("/") ? normalizePath(original) : null };
  const rest = original.slice(scheme + 3);
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf("@");
  return { host: normalizeHost(at === -1 ? authority : authority.slice(at + 1)), path: normalizePath(end === -1 ? "/" : rest.slice(end)) };
}

function normalizeMethod(written: string): string {
  // Most are written in capitals already: only another spelling is rewritten.
  return /^[A-Z]+$/.test(written) ? written : written.trim().toUpperCase();
}

/**
 * The original request from a proxy's headers: `X-Original-URL` and `X-Original-Method` (nginx),
 * or `X-Forwarded-Host`, `-Uri` and `-Method` (Caddy, Traefik); the verify request's own method
 * when neither says (nginx's auth subrequest is always a GET). Where both families are present,
 * what both say must agree (`conflicting` otherwise). `address` is the client's, as the server
 * determines it.
 */
export function requestTarget(headers: Headers, ownMethod: string, address: string | null = null): RequestTarget & { address: string | null } {
  const original = headers.get("x-original-url");
  const forwardedHost = headers.get("x-forwarded-host");
  const forwardedUri = headers.get("x-forwarded-uri");
  const forwardedMethod = headers.get("x-forwarded-method");
  const forwarded = {
    host: forwardedHost ? normalizeHost(forwardedHost.split(",")[0]!) : null,
    path: forwardedUri !== null ? normalizePath(forwardedUri) : forwardedHost ? "/" : null,
  };
  if (!original) return { host: forwarded.host, path: forwarded.path, method: normalizeMethod(forwardedMethod ?? ownMethod), conflicting: false, address };
  // nginx's family; a header of the other family, where present, must say the same.
  const originalMethod = headers.get("x-original-method");
  const method = normalizeMethod(originalMethod ?? forwardedMethod ?? ownMethod);
  const target = fromOriginalUrl(original);
  const conflicting =
    (forwardedHost !== null && forwardedHost !== "" && forwarded.host !== target.host) ||
    (forwardedUri !== null && forwarded.path !== target.path) ||
    (forwardedMethod !== null && normalizeMethod(forwardedMethod) !== method);
  return { host: target.host, path: target.path, method, conflicting, address };
}
