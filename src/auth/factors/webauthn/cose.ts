/**
 * Credential public keys in COSE form (RFC 9052/9053, RFC 8230) made into Web Crypto keys, and
 * signatures checked with them: ES256 (-7, P-256; WebAuthn signs in DER, Web Crypto wants raw
 * r‖s), EdDSA (-8, Ed25519) and RS256 (-257, RSASSA-PKCS1-v1_5 with SHA-256).
 */
import { toBase64url } from "./base64url.ts";
import { type CborMap, CborError, decodeCbor, isCborMap, mapBytes, mapNumber } from "./cbor.ts";

export const ES256 = -7;
export const EDDSA = -8;
export const RS256 = -257;
export const SUPPORTED_ALGORITHMS: readonly number[] = [ES256, EDDSA, RS256];

/** COSE key parameters (RFC 9052 §7, RFC 9053 §7). */
const KTY = 1;
const ALG = 3;
const CRV_OR_N = -1;
const X_OR_E = -2;
const Y = -3;
const KTY_OKP = 1;
const KTY_EC2 = 2;
const KTY_RSA = 3;
const CRV_P256 = 1;
const CRV_ED25519 = 6;
const MIN_RSA_BITS = 2048;

/** A key refused: its message says why, without the key. */
export class CoseKeyError extends Error {
  override name = "CoseKeyError";
}

export interface PublicKey {
  algorithm: number;
  key: CryptoKey;
}

/** The algorithm a COSE key names, once its shape is checked; throws CoseKeyError. */
export function coseAlgorithm(cose: CborMap): number {
  const kty = mapNumber(cose, KTY);
  const alg = mapNumber(cose, ALG);
  if (alg === ES256 && kty === KTY_EC2) {
    if (mapNumber(cose, CRV_OR_N) !== CRV_P256) throw new CoseKeyError("ES256 key is not on P-256");
    if (mapBytes(cose, X_OR_E)?.length !== 32 || mapBytes(cose, Y)?.length !== 32) throw new CoseKeyError("ES256 key coordinates are not 32 bytes");
    return alg;
  }
  if (alg === EDDSA && kty === KTY_OKP) {
    if (mapNumber(cose, CRV_OR_N) !== CRV_ED25519) throw new CoseKeyError("EdDSA key is not Ed25519");
    if (mapBytes(cose, X_OR_E)?.length !== 32) throw new CoseKeyError("Ed25519 key is not 32 bytes");
    return alg;
  }
  if (alg === RS256 && kty === KTY_RSA) {
    const n = mapBytes(cose, CRV_OR_N);
    const e = mapBytes(cose, X_OR_E);
    if (!n || !e || e.length === 0 || e.length > 4) throw new CoseKeyError("RSA key lacks its modulus or exponent");
    if (n[0] === 0 || n.length * 8 < MIN_RSA_BITS || n.length > 512) throw new CoseKeyError("RSA modulus is not 2048 to 4096 bits");
    return alg;
  }
  throw new CoseKeyError(`unsupported key type ${kty ?? "?"} with algorithm ${alg ?? "?"}`);
}

/** A Web Crypto key for a COSE key given as its CBOR bytes; throws CoseKeyError. */
export async function importCoseKey(bytes: Uint8Array<ArrayBuffer>): Promise<PublicKey> {
  let cose;
  try {
    cose = decodeCbor(bytes);
  } catch (error) {
    if (error instanceof CborError) throw new CoseKeyError(`credential public key: ${error.message}`);
    throw error;
  }
  if (!isCborMap(cose)) throw new CoseKeyError("credential public key is not a CBOR map");
  return importCoseMap(cose);
}

export async function importCoseMap(cose: CborMap): Promise<PublicKey> {
  const algorithm = coseAlgorithm(cose);
  try {
    if (algorithm === ES256) {
      const point = new Uint8Array(65);
      point[0] = 0x04;
      point.set(mapBytes(cose, X_OR_E)!, 1);
      point.set(mapBytes(cose, Y)!, 33);
      // Import checks that the point is on the curve.
      return { algorithm, key: await crypto.subtle.importKey("raw", point, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]) };
    }
    if (algorithm === EDDSA) {
      return { algorithm, key: await crypto.subtle.importKey("raw", mapBytes(cose, X_OR_E)!, { name: "Ed25519" }, false, ["verify"]) };
    }
    const jwk = { kty: "RSA", n: toBase64url(mapBytes(cose, CRV_OR_N)!), e: toBase64url(mapBytes(cose, X_OR_E)!), alg: "RS256", ext: true };
    return { algorithm, key: await crypto.subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]) };
  } catch (error) {
    if (error instanceof CoseKeyError) throw error;
    throw new CoseKeyError("credential public key is not a valid key");
  }
}

/** Whether `signature` is the key's signature over `data`; a malformed signature is false. */
export async function verifySignature(publicKey: PublicKey, signature: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<boolean> {
  try {
    if (publicKey.algorithm === ES256) {
      const raw = derToRaw(signature, 32);
      return raw !== null && (await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, publicKey.key, raw, data));
    }
    if (publicKey.algorithm === EDDSA) return await crypto.subtle.verify({ name: "Ed25519" }, publicKey.key, signature, data);
    return await crypto.subtle.verify({ name: "RSASSA-PKCS1-v1_5" }, publicKey.key, signature, data);
  } catch {
    return false;
  }
}

/**
 * An ECDSA signature in DER (`SEQUENCE { INTEGER r, INTEGER s }`, as WebAuthn §6.5.5 sends it)
 * as raw r‖s of `size` bytes each; null unless it is strict DER: short lengths that add up,
 * positive minimal integers no wider than the curve, nothing after.
 */
export function derToRaw(der: Uint8Array<ArrayBuffer>, size: number): Uint8Array<ArrayBuffer> | null {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2 || der[1]! > 0x7f) return null;
  const raw = new Uint8Array(size * 2);
  let offset = 2;
  for (let part = 0; part < 2; part++) {
    if (der[offset] !== 0x02) return null;
    const length = der[offset + 1]!;
    const start = offset + 2;
    if (length === 0 || length > size + 1 || start + length > der.length) return null;
    const first = der[start]!;
    if (first & 0x80) return null; // negative
    if (first === 0 && (length === 1 || !(der[start + 1]! & 0x80))) return null; // not minimal (or zero)
    const value = first === 0 ? der.subarray(start + 1, start + length) : der.subarray(start, start + length);
    if (value.length > size) return null;
    raw.set(value, part * size + size - value.length);
    offset = start + length;
  }
  return offset === der.length ? raw : null;
}
