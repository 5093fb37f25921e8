/** Who is on the other end: the socket's address, or the proxy's word for it when trusted. */

/**
 * With a trusted proxy, the last X-Forwarded-For entry is the one that proxy added; earlier
 * entries come from the client and can be forged. It counts only when it is an IP address, and
 * is taken in its canonical spelling. Anything else (no proxy writes it; a client reaching the
 * port past the proxy may) is not believed: the socket's address stands, so that whatever a
 * client writes there, its attempts are counted, logged and stored under one short address.
 */
export function clientAddress(request: Request, socketAddress: string | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for");
    if (forwarded) {
      const last = ipAddress(forwarded.slice(forwarded.lastIndexOf(",") + 1).trim());
      if (last !== null) return last;
    }
  }
  return socketAddress ?? "unknown";
}

/** Longer than any address, brackets and port included ("[ffff:…:255.255.255.255]:65535" is 53). */
const LONGEST_ADDRESS = 64;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV4_WITH_PORT = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}):\d{1,5}$/;
const IPV6_CHARACTERS = /^[0-9A-Fa-f:.]+$/;
const BRACKETED = /^\[([^\]]*)\](?::\d{1,5})?$/;
const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * The canonical text of an IPv4 or IPv6 address (RFC 5952 for IPv6; an IPv4-mapped IPv6
 * address as its IPv4), with an optional port or brackets dropped; null for anything else,
 * zone ids included. At most 39 characters.
 */
export function ipAddress(text: string): string | null {
  if (text.length === 0 || text.length > LONGEST_ADDRESS) return null;
  const bracketed = BRACKETED.exec(text);
  if (bracketed) return ipv6Address(bracketed[1]!);
  const withPort = IPV4_WITH_PORT.exec(text);
  return ipv4Address(withPort ? withPort[1]! : text) ?? ipv6Address(text);
}

function ipv4Address(text: string): string | null {
  const parts = IPV4.exec(text);
  if (!parts) return null;
  const numbers = parts.slice(1).map(Number);
  return numbers.every((part) => part <= 255) ? numbers.join(".") : null;
}

function ipv6Address(text: string): string | null {
  if (!text.includes(":") || !IPV6_CHARACTERS.test(text)) return null;
  let canonical: string;
  try {
    // The WHATWG host parser checks the address and writes it in its RFC 5952 form.
    canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const mapped = MAPPED_IPV4.exec(canonical);
  if (!mapped) return canonical;
  const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** True when the request reached us over https: directly, or per a trusted proxy. */
export function isHttps(request: Request, trustProxy: boolean): boolean {
  if (request.url.startsWith("https:")) return true;
  return trustProxy && request.headers.get("x-forwarded-proto")?.trim().toLowerCase() === "https";
}
