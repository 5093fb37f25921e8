/**
 * Verifying an authentication assertion: WebAuthn Level 3 §7.2, step by step. `readAssertion`
 * takes the browser's `PublicKeyCredential.toJSON()` apart (steps 3 and 7–9) so that the caller
 * can find the challenge C names and the credential record; `verifyAssertion` runs steps 5–6 and
 * 10–22 against that record. Step 24 (updating the record) is the caller's, after these pass.
 */
import { parseAuthenticatorData } from "./authenticator-data.ts";
import { fromBase64url } from "./base64url.ts";
import { type ClientData, checkClientData, parseClientData } from "./client-data.ts";
import { CoseKeyError, importCoseKey, verifySignature } from "./cose.ts";
import { WebAuthnError } from "./errors.ts";
import { equalBytes, sha256 } from "./registration.ts";

export interface AssertionResponse {
  /** base64url, as stored. */
  credentialId: string;
  clientDataJSON: Uint8Array<ArrayBuffer>;
  clientData: ClientData;
  authenticatorData: Uint8Array<ArrayBuffer>;
  signature: Uint8Array<ArrayBuffer>;
  /** base64url, or null when the authenticator sent none. */
  userHandle: string | null;
}

export interface AssertionExpectation {
  challenge: string;
  origins: ReadonlySet<string>;
  rpId: string;
  requireUserVerification: boolean;
  /** Credential ids (base64url) the request options allowed; empty: any. */
  allowCredentials: readonly string[];
  /**
   * The user handle (base64url) of the account the record belongs to, and whether that user was
   * identified before the ceremony (an email with the options, or the password of a second-factor login).
   */
  userHandle: string;
  userIdentified: boolean;
}

export interface CredentialRecord {
  credentialId: string;
  /** The COSE key, base64url. */
  publicKey: string;
  signCount: number;
}

export interface VerifiedAssertion {
  signCount: number;
  userVerified: boolean;
  backupState: boolean;
}

function object(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Steps 3 and 7–9: an assertion response, its parts decoded and C parsed. */
export function readAssertion(body: unknown): AssertionResponse {
  const credential = object(body);
  const response = object(credential?.response);
  if (credential === null || response === null || credential.type !== "public-key") throw new WebAuthnError("7.2 step 3", "not a public-key credential with a response");
  if (fromBase64url(credential.rawId, 1023) === null || credential.id !== credential.rawId) throw new WebAuthnError("7.2 step 3", "credential id and rawId are missing or differ");
  const clientDataJSON = fromBase64url(response.clientDataJSON, 4096);
  const authenticatorData = fromBase64url(response.authenticatorData, 16 * 1024);
  const signature = fromBase64url(response.signature, 1024);
  if (clientDataJSON === null || authenticatorData === null || signature === null) throw new WebAuthnError("7.2 step 7", "not an assertion response");
  let userHandle: string | null = null;
  if (response.userHandle !== undefined && response.userHandle !== null && response.userHandle !== "") {
    if (fromBase64url(response.userHandle, 64) === null) throw new WebAuthnError("7.2 step 7", "userHandle is not base64url");
    userHandle = response.userHandle as string;
  }
  const clientData = parseClientData(clientDataJSON, "7.2 steps 8-9");
  return { credentialId: credential.rawId as string, clientDataJSON, clientData, authenticatorData, signature, userHandle };
}

/** Steps 5–6 and 10–22 against the record of the credential the assertion names. */
export async function verifyAssertion(assertion: AssertionResponse, expected: AssertionExpectation, record: CredentialRecord): Promise<VerifiedAssertion> {
  // Step 5: one of the allowed credentials, when the options named some.
  if (expected.allowCredentials.length > 0 && !expected.allowCredentials.includes(assertion.credentialId)) throw new WebAuthnError("7.2 step 5", "credential was not allowed");
  // Step 6: the record is this credential's, and the user handle, when present (required when the
  // user was not identified before), is that record's user.
  if (record.credentialId !== assertion.credentialId) throw new WebAuthnError("7.2 step 6", "credential record does not match");
  if (assertion.userHandle === null ? !expected.userIdentified : assertion.userHandle !== expected.userHandle) throw new WebAuthnError("7.2 step 6", "user handle does not match the credential's user");
  checkClientData(
    assertion.clientData,
    { type: "webauthn.get", challenge: expected.challenge, origins: expected.origins },
    { type: "7.2 step 10", challenge: "7.2 step 11", origin: "7.2 step 12", crossOrigin: "7.2 step 13", topOrigin: "7.2 step 14" },
  );
  const authData = parseAuthenticatorData(assertion.authenticatorData, "7.2 step 7");
  // Step 15.
  if (!equalBytes(authData.rpIdHash, await sha256(expected.rpId))) throw new WebAuthnError("7.2 step 15", "rpIdHash is not that of this RP ID");
  // Step 16.
  if (!authData.flags.up) throw new WebAuthnError("7.2 step 16", "user presence flag is not set");
  // Step 17.
  if (expected.requireUserVerification && !authData.flags.uv) throw new WebAuthnError("7.2 step 17", "user verification is required");
  // Step 18. Step 19: backup state is recorded, not used for policy.
  if (!authData.flags.be && authData.flags.bs) throw new WebAuthnError("7.2 step 18", "backup state set without backup eligibility");
  // Steps 20–21: the signature over authData ‖ SHA-256(cData).
  const hash = await sha256(assertion.clientDataJSON);
  const signed = new Uint8Array(assertion.authenticatorData.length + hash.length);
  signed.set(assertion.authenticatorData);
  signed.set(hash, assertion.authenticatorData.length);
  const keyBytes = fromBase64url(record.publicKey, 4096);
  if (keyBytes === null) throw new WebAuthnError("7.2 step 21", "stored public key is unreadable");
  let key;
  try {
    key = await importCoseKey(keyBytes);
  } catch (error) {
    if (error instanceof CoseKeyError) throw new WebAuthnError("7.2 step 21", error.message);
    throw error;
  }
  if (!(await verifySignature(key, assertion.signature, signed))) throw new WebAuthnError("7.2 step 21", "signature is not valid");
  // Step 22: when either counter is non-zero, the new one must be greater; otherwise the key
  // may have been cloned, and this server refuses the sign-in.
  if ((authData.signCount !== 0 || record.signCount !== 0) && authData.signCount <= record.signCount) throw new WebAuthnError("7.2 step 22", "signature counter did not increase: possible cloned authenticator");
  return { signCount: authData.signCount, userVerified: authData.flags.uv, backupState: authData.flags.bs };
}
