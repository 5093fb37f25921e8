/** Who is on the other end: the socket's address, or the proxy's word for it when trusted. */

/**
 * With a trusted proxy, the last X-Forwarded-For entry is the one that proxy added; earlier
 * entries come from the client and can be forged.
 */
export function clientAddress(request: Request, socketAddress: string | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for");
    if (forwarded) {
      const last = forwarded.slice(forwarded.lastIndexOf(",") + 1).trim();
      if (last) return last;
    }
  }
  return socketAddress ?? "unknown";
}

/** True when the request reached us over https: directly, or per a trusted proxy. */
export function isHttps(request: Request, trustProxy: boolean): boolean {
  if (request.url.startsWith("https:")) return true;
  return trustProxy && request.headers.get("x-forwarded-proto")?.trim().toLowerCase() === "https";
}
