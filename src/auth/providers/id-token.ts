/**
 * ID token validation, OpenID Connect Core 1.0 §3.1.3.7, step by step; each refusal names its
 * step. The signature (steps 6–8) is checked by the caller with the provider's JWKS before the
 * claims are trusted; here: the claims of a token whose signature held.
 */
import { SignInRefused } from "./errors.ts";

/** Clock skew allowed between us and the provider, in seconds. */
export const CLOCK_LEEWAY_SECONDS = 60;

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  nonce: string;
  /** Seconds since the epoch. */
  now: number;
}

export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  /** Everything else the token says (email, email_verified, groups, amr…). */
  claims: Record<string, unknown>;
}

const refuse = (message: string, step: string) => new SignInRefused(message, 401, step);

const isNumericDate = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

export function validateIdTokenClaims(payload: Record<string, unknown>, expected: IdTokenExpectations): IdTokenClaims {
  // Step 2: the issuer identifier matches the provider's exactly.
  if (payload.iss !== expected.issuer) throw refuse("the ID token was issued by another issuer", "3.1.3.7-2");
  // §2: sub is a string of at most 255 ASCII characters, never reassigned.
  const sub = payload.sub;
  if (typeof sub !== "string" || sub === "" || sub.length > 255) throw refuse("the ID token names no subject", "2-sub");
  // Step 3: our client_id is one of the audiences.
  const aud = typeof payload.aud === "string" ? [payload.aud] : payload.aud;
  if (!Array.isArray(aud) || aud.length === 0 || !aud.every((each) => typeof each === "string")) throw refuse("the ID token has no audience", "3.1.3.7-3");
  if (!aud.includes(expected.clientId)) throw refuse("the ID token was issued to another client", "3.1.3.7-3");
  // Steps 4 and 5: with several audiences the authorized party is named, and it is us.
  if (aud.length > 1 && payload.azp === undefined) throw refuse("the ID token has several audiences and no authorized party", "3.1.3.7-4");
  if (payload.azp !== undefined && payload.azp !== expected.clientId) throw refuse("the ID token's authorized party is another client", "3.1.3.7-5");
  // Step 9: not expired (within the leeway).
  if (!isNumericDate(payload.exp)) throw refuse("the ID token has no expiry", "3.1.3.7-9");
  if (expected.now > payload.exp + CLOCK_LEEWAY_SECONDS) throw refuse("the ID token has expired", "3.1.3.7-9");
  // Step 10: issued at a time that can be: not in the future (within the leeway).
  if (!isNumericDate(payload.iat)) throw refuse("the ID token has no issue time", "3.1.3.7-10");
  if (payload.iat > expected.now + CLOCK_LEEWAY_SECONDS) throw refuse("the ID token was issued in the future", "3.1.3.7-10");
  // Step 11: the nonce we sent, so that a token made for another login cannot be replayed.
  if (typeof payload.nonce !== "string" || payload.nonce !== expected.nonce) throw refuse("the ID token's nonce is not this login's", "3.1.3.7-11");
  return { iss: payload.iss as string, sub, aud: aud as string[], exp: payload.exp, iat: payload.iat, claims: payload };
}

/** What an `amr` claim (RFC 8176) says about the login: true when the provider checked more than one factor. */
export function amrSaysMultiFactor(amr: unknown): boolean {
  if (!Array.isArray(amr)) return false;
  const methods = amr.filter((each): each is string => typeof each === "string");
  if (methods.includes("mfa")) return true;
  // Two methods of different kinds (something known and something had or been).
  const known = ["pwd", "pin", "kba"];
  const had = ["otp", "hwk", "swk", "sms", "tel", "fpt", "face", "iris", "retina", "vbm", "sc", "user", "pop"];
  return methods.some((each) => known.includes(each)) && methods.some((each) => had.includes(each));
}
