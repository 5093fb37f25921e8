/** base64url without padding (RFC 4648 §5), as WebAuthn's JSON forms carry bytes. */

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function toBase64url(bytes: Uint8Array<ArrayBuffer>): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/**
 * The bytes of base64url text, or null unless it is strictly that: the alphabet only, no
 * padding, no length that leaves a lone character, and no stray bits in the last one (so that
 * each byte string has exactly one spelling).
 */
export function fromBase64url(text: unknown, maxBytes = 1 << 20): Uint8Array<ArrayBuffer> | null {
  if (typeof text !== "string" || !BASE64URL.test(text) || text.length % 4 === 1) return null;
  if (Math.floor((text.length * 3) / 4) > maxBytes) return null;
  const bytes = new Uint8Array(Buffer.from(text, "base64url"));
  return toBase64url(bytes) === text ? bytes : null;
}
