/**
 * base64url without padding (RFC 7515 §2, RFC 4648 §5), strict: only the alphabet, no `=`, and
 * the unused bits of the last character zero, so that one value has one spelling and a token
 * cannot be changed without changing its signed bytes.
 */

const ALPHABET = /^[A-Za-z0-9_-]*$/;

/** The bytes, or null when the text is not canonical base64url. */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!ALPHABET.test(text) || text.length % 4 === 1) return null;
  let binary: string;
  try {
    binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  // Re-encoding must give the same text: trailing bits that atob ignores would otherwise pass.
  return encodeBase64Url(bytes) === text ? bytes : null;
}

export function encodeBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `bytes` random bytes as base64url: states, nonces, PKCE verifiers. */
export function randomToken(bytes = 32): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}
