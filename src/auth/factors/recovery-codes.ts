/**
 * Recovery codes: ten single-use codes given when a second factor is turned on, for a lost
 * phone. Each is 10 characters of lowercase base32 (50 bits), shown as `xxxxx-xxxxx`, and
 * stored only as a keyed hash (SecretBox.mac), so that stored data alone gives no code and
 * cannot be guessed offline.
 */
export const RECOVERY_CODE_COUNT = 10;
const LENGTH = 10;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** Ten new codes, as the user sees them. */
export function newRecoveryCodes(): string[] {
  const codes: string[] = [];
  for (let i = 0; i < RECOVERY_CODE_COUNT; i++) {
    // 32 divides 256: taking each byte modulo 32 is uniform.
    const bytes = crypto.getRandomValues(new Uint8Array(LENGTH));
    const text = Array.from(bytes, (byte) => ALPHABET[byte & 31]).join("");
    codes.push(`${text.slice(0, 5)}-${text.slice(5)}`);
  }
  return codes;
}

/** A code as typed (any case, spaces, hyphens) in its one stored form; null when it cannot be one. */
export function normalizeRecoveryCode(typed: string): string | null {
  const text = typed.replace(/[\s-]/g, "").toLowerCase();
  if (text.length !== LENGTH) return null;
  for (const char of text) if (!ALPHABET.includes(char)) return null;
  return text;
}

/** Stored form of a set: the hashes, space-separated (one text column in PostgreSQL). */
export function joinHashes(hashes: readonly string[]): string {
  return hashes.join(" ");
}

export function splitHashes(stored: string | null | undefined): string[] {
  return stored ? stored.split(" ").filter(Boolean) : [];
}

/** Compares two texts without an early exit. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** The set without `hash`, or null when `hash` is not in it; every entry compared. */
export function withoutHash(hashes: readonly string[], hash: string): string[] | null {
  let found = -1;
  hashes.forEach((each, index) => {
    if (sameText(each, hash) && found === -1) found = index;
  });
  return found === -1 ? null : hashes.filter((_, index) => index !== found);
}
