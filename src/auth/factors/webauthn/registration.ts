/**
 * Registering a new credential: WebAuthn Level 3 §7.1, step by step. `readRegistration` takes
 * the browser's `PublicKeyCredential.toJSON()` apart (steps 3–6), so that the caller can find
 * the challenge C names; `verifyRegistration` runs steps 7–25 against what the server expects.
 * Step 26 (the credential id is nobody's yet) is the store's unique key, step 27 the stored record.
 */
import { type AuthenticatorData, parseAuthenticatorData } from "./authenticator-data.ts";
import { fromBase64url, toBase64url } from "./base64url.ts";
import { CborError, decodeCbor, isCborMap, mapBytes, mapText } from "./cbor.ts";
import { type ClientData, checkClientData, parseClientData } from "./client-data.ts";
import { coseAlgorithm, CoseKeyError, importCoseMap } from "./cose.ts";
import { WebAuthnError } from "./errors.ts";

export interface RegistrationResponse {
  credentialId: Uint8Array<ArrayBuffer>;
  clientDataJSON: Uint8Array<ArrayBuffer>;
  clientData: ClientData;
  attestationObject: Uint8Array<ArrayBuffer>;
  transports: string[];
}

export interface RegistrationExpectation {
  /** The challenge the server issued, base64url. */
  challenge: string;
  /** Origins the ceremony may run on (this server's own and ALLOWED_ORIGINS). */
  origins: ReadonlySet<string>;
  rpId: string;
  requireUserVerification: boolean;
  /** The `alg`s offered in pubKeyCredParams. */
  algorithms: readonly number[];
}

export interface VerifiedRegistration {
  /** base64url, as the credential's `id`. */
  credentialId: string;
  /** The COSE key, base64url: the credential record's publicKey. */
  publicKey: string;
  algorithm: number;
  signCount: number;
  userVerified: boolean;
  backupEligible: boolean;
  backupState: boolean;
  transports: string[];
  aaguid: string;
  /** The format the authenticator named; every one is treated as `none`. */
  attestationFormat: string;
}

const TRANSPORTS = new Set(["ble", "hybrid", "internal", "nfc", "smart-card", "usb"]);
const MAX_ATTESTATION_OBJECT = 64 * 1024;

function object(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Steps 3–6: the response is an attestation response, its clientDataJSON decoded and parsed. */
export function readRegistration(body: unknown): RegistrationResponse {
  const credential = object(body);
  const response = object(credential?.response);
  if (credential === null || response === null || credential.type !== "public-key") throw new WebAuthnError("7.1 step 3", "not a public-key credential with a response");
  const credentialId = fromBase64url(credential.rawId, 1023);
  if (credentialId === null || credential.id !== credential.rawId) throw new WebAuthnError("7.1 step 3", "credential id and rawId are missing or differ");
  const clientDataJSON = fromBase64url(response.clientDataJSON, 4096);
  const attestationObject = fromBase64url(response.attestationObject, MAX_ATTESTATION_OBJECT);
  if (clientDataJSON === null || attestationObject === null) throw new WebAuthnError("7.1 step 3", "not an attestation response");
  const clientData = parseClientData(clientDataJSON, "7.1 steps 5-6");
  const transports = Array.isArray(response.transports) ? response.transports.filter((t): t is string => typeof t === "string" && TRANSPORTS.has(t)) : [];
  return { credentialId, clientDataJSON, clientData, attestationObject, transports: [...new Set(transports)].sort() };
}

async function sha256(data: Uint8Array<ArrayBuffer> | string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", typeof data === "string" ? new Uint8Array(new TextEncoder().encode(data)) : data));
}

export function equalBytes(a: Uint8Array<ArrayBuffer>, b: Uint8Array<ArrayBuffer>): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Steps 7–25 for a response `readRegistration` accepted; WebAuthnError names the failing step. */
export async function verifyRegistration(registration: RegistrationResponse, expected: RegistrationExpectation): Promise<VerifiedRegistration> {
  checkClientData(
    registration.clientData,
    { type: "webauthn.create", challenge: expected.challenge, origins: expected.origins },
    { type: "7.1 step 7", challenge: "7.1 step 8", origin: "7.1 step 9", crossOrigin: "7.1 step 10", topOrigin: "7.1 step 11" },
  );
  // Step 12: the hash would be the input of an attestation signature; `none` has none to check.
  // Step 13: fmt, authData and attStmt out of the attestation object.
  let decoded;
  try {
    decoded = decodeCbor(registration.attestationObject, { maxDepth: 4, maxItems: 256 });
  } catch (error) {
    if (error instanceof CborError) throw new WebAuthnError("7.1 step 13", `attestation object: ${error.message}`);
    throw error;
  }
  if (!isCborMap(decoded)) throw new WebAuthnError("7.1 step 13", "attestation object is not a CBOR map");
  const fmt = mapText(decoded, "fmt");
  const authDataBytes = mapBytes(decoded, "authData");
  if (fmt === undefined || authDataBytes === undefined || !isCborMap(decoded.get("attStmt"))) throw new WebAuthnError("7.1 step 13", "attestation object lacks fmt, authData or attStmt");
  const authData: AuthenticatorData = parseAuthenticatorData(authDataBytes, "7.1 step 13");
  const attested = authData.attestedCredential;
  if (attested === null) throw new WebAuthnError("7.1 step 13", "authenticator data has no attested credential");
  // Step 14: the credential is scoped to this RP ID.
  if (!equalBytes(authData.rpIdHash, await sha256(expected.rpId))) throw new WebAuthnError("7.1 step 14", "rpIdHash is not that of this RP ID");
  // Step 15: the user was present (this server never uses conditional create).
  if (!authData.flags.up) throw new WebAuthnError("7.1 step 15", "user presence flag is not set");
  // Step 16.
  if (expected.requireUserVerification && !authData.flags.uv) throw new WebAuthnError("7.1 step 16", "user verification is required");
  // Step 17. Steps 18–19: backup eligibility and state are recorded, not used for policy.
  if (!authData.flags.be && authData.flags.bs) throw new WebAuthnError("7.1 step 17", "backup state set without backup eligibility");
  // Step 20: a key of an offered algorithm (and of a shape this server can use).
  let algorithm: number;
  try {
    algorithm = coseAlgorithm(attested.publicKey);
    await importCoseMap(attested.publicKey);
  } catch (error) {
    if (error instanceof CoseKeyError) throw new WebAuthnError("7.1 step 20", error.message);
    throw error;
  }
  if (!expected.algorithms.includes(algorithm)) throw new WebAuthnError("7.1 step 20", "key algorithm was not offered");
  // Steps 21–24: attestation is not asked for ("none"); any format is accepted as none and its
  // statement ignored, so no trust path is built. The authenticator's model is not vouched for.
  // Step 25: credentialId ≤ 1023 bytes (parseAuthenticatorData refuses longer), and the one the
  // client named is the one attested.
  if (!equalBytes(attested.credentialId, registration.credentialId)) throw new WebAuthnError("7.1 step 25", "credential id differs from the attested one");
  return {
    credentialId: toBase64url(attested.credentialId),
    publicKey: toBase64url(attested.publicKeyBytes),
    algorithm,
    signCount: authData.signCount,
    userVerified: authData.flags.uv,
    backupEligible: authData.flags.be,
    backupState: authData.flags.bs,
    transports: registration.transports,
    aaguid: formatAaguid(attested.aaguid),
    attestationFormat: fmt,
  };
}

function formatAaguid(bytes: Uint8Array<ArrayBuffer>): string {
  const hex = Buffer.from(bytes).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export { sha256 };
