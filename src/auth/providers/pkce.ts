/** Proof Key for Code Exchange (RFC 7636), S256 only: `plain` shows the verifier to anyone who sees the request. */
import { encodeBase64Url, randomToken } from "./base64url.ts";

/** §4.1: 43 to 128 characters of the unreserved set; 32 random bytes give 43. */
export function newCodeVerifier(): string {
  return randomToken(32);
}

/** §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return encodeBase64Url(new Uint8Array(digest));
}
