/**
 * One-time codes: HOTP (RFC 4226) and TOTP (RFC 6238) on Web Crypto, base32 (RFC 4648 §6) for
 * the secret, and the `otpauth://` URI authenticator apps read (Google Authenticator's "Key Uri
 * Format"). Pure apart from the HMAC; time comes in as an argument.
 */

export type TotpAlgorithm = "SHA1" | "SHA256" | "SHA512";

export interface TotpParameters {
  algorithm: TotpAlgorithm;
  /** Digits of a code: 6 or 8. */
  digits: number;
  /** X, the time step in seconds (RFC 6238 §4.1). */
  period: number;
}

/** What every enrolment uses: what every authenticator app understands. */
export const DEFAULT_TOTP: TotpParameters = { algorithm: "SHA1", digits: 6, period: 30 };

/** RFC 4226 §4 R6: a shared secret of at least 128 bits, 160 recommended; ours are 160. */
export const SECRET_BYTES = 20;

/** RFC 6238 §5.2: at most one step of clock drift accepted either way. */
export const DRIFT_STEPS = 1;

const HASHES: Record<TotpAlgorithm, string> = { SHA1: "SHA-1", SHA256: "SHA-256", SHA512: "SHA-512" };
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 §6 base32, uppercase, without padding (as authenticator apps expect it). */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The bytes of a base32 text, or null. Lenient as people type secrets: case, spaces, hyphens and
 * `=` padding are ignored; any other character, or leftover bits that are not zero, is refused.
 */
export function base32Decode(text: string): Uint8Array<ArrayBuffer> | null {
  const clean = text.replace(/[\s-]/g, "").replace(/=+$/, "").toUpperCase();
  const out = new Uint8Array(Math.floor((clean.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const char of clean) {
    const value = BASE32.indexOf(char);
    if (value === -1) return null;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[at++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  // RFC 4648 §3.5: the bits left over must be zero (canonical encoding), else refused.
  if (bits >= 5 || (buffer & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

/** A new random secret (RFC 4226 §7.5: from a CSPRNG). */
export function newSecret(): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
}

/** RFC 4226 §5.3: HMAC of the 8-byte counter, dynamic truncation, modulo 10^digits, zero-padded. */
export async function hotp(secret: Uint8Array<ArrayBuffer>, counter: number, { algorithm, digits }: Pick<TotpParameters, "algorithm" | "digits"> = DEFAULT_TOTP): Promise<string> {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError("counter must be a non-negative safe integer");
  if (digits < 6 || digits > 10) throw new RangeError("digits must be 6 to 10");
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: HASHES[algorithm] }, false, ["sign"]);
  // RFC 4226 §5.2: C is an 8-byte big-endian counter.
  const message = new DataView(new ArrayBuffer(8));
  message.setUint32(0, Math.floor(counter / 2 ** 32));
  message.setUint32(4, counter >>> 0);
  const hs = new Uint8Array(await crypto.subtle.sign("HMAC", key, message.buffer));
  // RFC 4226 §5.4: the offset is the low 4 bits of the last byte; 31 bits from there.
  const offset = hs[hs.length - 1]! & 0x0f;
  const binary = ((hs[offset]! & 0x7f) << 24) | (hs[offset + 1]! << 16) | (hs[offset + 2]! << 8) | hs[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** RFC 6238 §4.2: T = floor((Unix time - T0) / X), T0 = 0. */
export function timeStep(unixMs: number, period = DEFAULT_TOTP.period): number {
  return Math.floor(unixMs / 1000 / period);
}

/** RFC 6238 §4.2: TOTP = HOTP(K, T). */
export function totp(secret: Uint8Array<ArrayBuffer>, unixMs: number, parameters: TotpParameters = DEFAULT_TOTP): Promise<string> {
  return hotp(secret, timeStep(unixMs, parameters.period), parameters);
}

/** Compares two texts without an early exit. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export interface TotpCheck {
  /** Unix time in ms. */
  now: number;
  /** The last step a code was accepted for; null when none was. RFC 6238 §5.2: no step is accepted twice. */
  lastStep: number | null;
  parameters?: TotpParameters;
}

/** A code as people type it: surrounding spaces and a space in the middle ("123 456") ignored. */
export function normalizeCode(code: string): string {
  return code.replace(/\s/g, "");
}

/**
 * The step a code matches, or null. RFC 6238 §5.2: the steps from one before to one after the
 * current one are tried (network delay, clock drift); a step not after `lastStep` is never
 * accepted (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the OTP after the
 * successful validation has been issued for the first OTP"), nor is any earlier one. Every step
 * of the window is computed and compared, matched or not.
 */
export async function verifyTotp(secret: Uint8Array<ArrayBuffer>, code: string, { now, lastStep, parameters = DEFAULT_TOTP }: TotpCheck): Promise<number | null> {
  const typed = normalizeCode(code);
  if (typed.length !== parameters.digits || !/^[0-9]+$/.test(typed)) return null;
  const current = timeStep(now, parameters.period);
  let matched: number | null = null;
  for (let step = current - DRIFT_STEPS; step <= current + DRIFT_STEPS; step++) {
    if (step < 0) continue;
    const expected = await hotp(secret, step, parameters);
    const fresh = lastStep === null || step > lastStep;
    if (sameText(expected, typed) && fresh && matched === null) matched = step;
  }
  return matched;
}

export interface OtpauthUri {
  issuer: string;
  /** The account name shown in the app: the user's email. */
  account: string;
  /** base32 */
  secret: string;
  parameters?: TotpParameters;
}

/**
 * `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=…&digits=…&period=…` (Key Uri
 * Format): the label's issuer prefix and the `issuer` parameter both given, as the format
 * recommends; each part percent-encoded, a `:` in either one included.
 */
export function otpauthUri({ issuer, account, secret, parameters = DEFAULT_TOTP }: OtpauthUri): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = `secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=${parameters.algorithm}&digits=${parameters.digits}&period=${parameters.period}`;
  return `otpauth://totp/${label}?${query}`;
}
