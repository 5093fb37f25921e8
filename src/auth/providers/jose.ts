/**
 * The JOSE a relying party needs, on Web Crypto: a compact JWS (RFC 7515 §7.1) split and decoded
 * strictly, a JWK (RFC 7517) imported for the one algorithm the token names, and the signature
 * checked. Only asymmetric signatures are accepted (RS256, PS256, ES256, EdDSA with Ed25519):
 * `none` and the HMAC family are refused, since a client secret is no proof of who signed.
 */
import { decodeBase64Url } from "./base64url.ts";
import { SignInRefused } from "./errors.ts";

export const SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA", "Ed25519"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export function isSigningAlgorithm(alg: unknown): alg is SigningAlgorithm {
  return typeof alg === "string" && (SIGNING_ALGORITHMS as readonly string[]).includes(alg);
}

/** A JSON Web Key as published in a JWKS: only the members read here. */
export interface Jwk {
  kty?: unknown;
  kid?: unknown;
  use?: unknown;
  alg?: unknown;
  key_ops?: unknown;
  crv?: unknown;
  n?: unknown;
  e?: unknown;
  x?: unknown;
  y?: unknown;
}

export interface ParsedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  alg: SigningAlgorithm;
  kid: string | null;
  /** `BASE64URL(header) || '.' || BASE64URL(payload)`, the bytes the signature covers. */
  signingInput: Uint8Array<ArrayBuffer>;
  signature: Uint8Array<ArrayBuffer>;
}

/** Longest token read: ID tokens are a few kilobytes at most. */
const MAX_TOKEN_LENGTH = 16 * 1024;

function jsonObject(bytes: Uint8Array | null, what: string): Record<string, unknown> {
  if (bytes === null) throw new SignInRefused(`the ID token's ${what} is not base64url`, 401, "JWS");
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new SignInRefused(`the ID token's ${what} is not JSON`, 401, "JWS");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new SignInRefused(`the ID token's ${what} is not a JSON object`, 401, "JWS");
  return value as Record<string, unknown>;
}

/**
 * A compact JWS: three base64url parts, a JSON object header naming an accepted `alg` (and no
 * `crit` extension we do not know, RFC 7515 §4.1.11), a JSON object payload. Throws SignInRefused.
 */
export function parseCompactJws(token: unknown): ParsedJws {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) throw new SignInRefused("the ID token is missing or too long", 401, "JWS");
  const parts = token.split(".");
  // Five parts is a JWE: OpenID Connect Core §3.1.3.7 step 1, encryption was not asked for.
  if (parts.length === 5) throw new SignInRefused("the ID token is encrypted, which was not asked for", 401, "3.1.3.7-1");
  if (parts.length !== 3) throw new SignInRefused("the ID token is not a compact JWS", 401, "JWS");
  const header = jsonObject(decodeBase64Url(parts[0]!), "header");
  const alg = header.alg;
  // Core §3.1.3.7 steps 7 and 8: an asymmetric algorithm we verify; never `none`, never HMAC.
  if (!isSigningAlgorithm(alg)) throw new SignInRefused(`the ID token's algorithm ${JSON.stringify(String(alg)).slice(0, 40)} is not accepted (RS256, PS256, ES256 or EdDSA)`, 401, "3.1.3.7-7");
  if (header.crit !== undefined) throw new SignInRefused("the ID token's header names critical extensions", 401, "JWS");
  if (header.kid !== undefined && typeof header.kid !== "string") throw new SignInRefused("the ID token's kid is not a string", 401, "JWS");
  const payload = jsonObject(decodeBase64Url(parts[1]!), "payload");
  const signature = decodeBase64Url(parts[2]!);
  if (signature === null || signature.length === 0) throw new SignInRefused("the ID token's signature is not base64url", 401, "JWS");
  return { header, payload, alg, kid: (header.kid as string | undefined) ?? null, signingInput: new TextEncoder().encode(`${parts[0]}.${parts[1]}`), signature };
}

/** The key type and curve an algorithm needs. */
function keyShape(alg: SigningAlgorithm): { kty: string; crv?: string } {
  switch (alg) {
    case "RS256":
    case "PS256":
      return { kty: "RSA" };
    case "ES256":
      return { kty: "EC", crv: "P-256" };
    case "EdDSA":
    case "Ed25519":
      return { kty: "OKP", crv: "Ed25519" };
  }
}

/** Whether a published key may verify a signature made with `alg` (RFC 7517 §4.2–4.4, RFC 8037). */
export function keyFits(jwk: Jwk, alg: SigningAlgorithm): boolean {
  const shape = keyShape(alg);
  if (jwk.kty !== shape.kty) return false;
  if (shape.crv !== undefined && jwk.crv !== shape.crv) return false;
  if (jwk.use !== undefined && jwk.use !== "sig") return false;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify"))) return false;
  // A key published for one algorithm is used for that one only; EdDSA and Ed25519 name the same.
  if (jwk.alg !== undefined && jwk.alg !== alg && !(keyShape(alg).kty === "OKP" && (jwk.alg === "EdDSA" || jwk.alg === "Ed25519"))) return false;
  return true;
}

const RSA_MIN_BITS = 2048;

type ImportAlgorithm = Parameters<typeof crypto.subtle.importKey>[2];
type VerifyAlgorithm = Parameters<typeof crypto.subtle.verify>[0];

function importParams(alg: SigningAlgorithm): ImportAlgorithm {
  switch (alg) {
    case "RS256":
      return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    case "PS256":
      return { name: "RSA-PSS", hash: "SHA-256" };
    case "ES256":
      return { name: "ECDSA", namedCurve: "P-256" };
    case "EdDSA":
    case "Ed25519":
      return { name: "Ed25519" };
  }
}

function verifyParams(alg: SigningAlgorithm): VerifyAlgorithm {
  switch (alg) {
    case "RS256":
      return { name: "RSASSA-PKCS1-v1_5" };
    case "PS256":
      // RFC 7518 §3.5: the salt is as long as the hash.
      return { name: "RSA-PSS", saltLength: 32 };
    case "ES256":
      return { name: "ECDSA", hash: "SHA-256" };
    case "EdDSA":
    case "Ed25519":
      return { name: "Ed25519" };
  }
}

/** A public key for `alg`, from the JWK's public members only; null when it cannot be one. */
export async function importJwk(jwk: Jwk, alg: SigningAlgorithm): Promise<CryptoKey | null> {
  if (!keyFits(jwk, alg)) return null;
  let material: import("node:crypto").webcrypto.JsonWebKey;
  if (jwk.kty === "RSA") {
    if (typeof jwk.n !== "string" || typeof jwk.e !== "string") return null;
    const modulus = decodeBase64Url(jwk.n);
    // Leading zero bytes do not count: RFC 7518 §6.3.1.1 forbids them anyway.
    if (modulus === null || decodeBase64Url(jwk.e) === null || modulus.length * 8 < RSA_MIN_BITS) return null;
    material = { kty: "RSA", n: jwk.n, e: jwk.e };
  } else if (jwk.kty === "EC") {
    if (typeof jwk.x !== "string" || typeof jwk.y !== "string" || decodeBase64Url(jwk.x)?.length !== 32 || decodeBase64Url(jwk.y)?.length !== 32) return null;
    material = { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y };
  } else {
    if (typeof jwk.x !== "string" || decodeBase64Url(jwk.x)?.length !== 32) return null;
    material = { kty: "OKP", crv: "Ed25519", x: jwk.x };
  }
  try {
    return await crypto.subtle.importKey("jwk", material, importParams(alg), false, ["verify"]);
  } catch {
    return null;
  }
}

/** Whether the signature is `key`'s over the signing input. An ES256 signature is r||s, 64 bytes (RFC 7518 §3.4). */
export async function verifyJws(jws: ParsedJws, key: CryptoKey): Promise<boolean> {
  if (jws.alg === "ES256" && jws.signature.length !== 64) return false;
  if ((jws.alg === "EdDSA" || jws.alg === "Ed25519") && jws.signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify(verifyParams(jws.alg), key, jws.signature, jws.signingInput);
  } catch {
    return false;
  }
}
