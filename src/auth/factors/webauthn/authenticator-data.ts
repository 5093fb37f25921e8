/**
 * Authenticator data (WebAuthn Level 3 §6.1): rpIdHash, flags, signCount, and the attested
 * credential data (§6.5.2) and extensions when their flags say they follow.
 */
import { type CborMap, CborError, decodeCborPrefix, isCborMap } from "./cbor.ts";
import { WebAuthnError } from "./errors.ts";

export interface AuthenticatorFlags {
  /** User present. */
  up: boolean;
  /** User verified. */
  uv: boolean;
  /** Backup eligible. */
  be: boolean;
  /** Backed up. */
  bs: boolean;
  /** Attested credential data included. */
  at: boolean;
  /** Extension data included. */
  ed: boolean;
}

export interface AttestedCredential {
  aaguid: Uint8Array<ArrayBuffer>;
  credentialId: Uint8Array<ArrayBuffer>;
  /** The COSE key, as its bytes (stored) and as decoded (checked). */
  publicKeyBytes: Uint8Array<ArrayBuffer>;
  publicKey: CborMap;
}

export interface AuthenticatorData {
  rpIdHash: Uint8Array<ArrayBuffer>;
  flags: AuthenticatorFlags;
  signCount: number;
  attestedCredential: AttestedCredential | null;
  extensions: CborMap | null;
}

const MIN_LENGTH = 37;
const MAX_CREDENTIAL_ID = 1023;

/** The parsed authenticator data; WebAuthnError (for `step`) when malformed. */
export function parseAuthenticatorData(bytes: Uint8Array<ArrayBuffer>, step: string): AuthenticatorData {
  if (bytes.length < MIN_LENGTH) throw new WebAuthnError(step, "authenticator data is too short");
  const byte = bytes[32]!;
  const flags: AuthenticatorFlags = { up: !!(byte & 0x01), uv: !!(byte & 0x04), be: !!(byte & 0x08), bs: !!(byte & 0x10), at: !!(byte & 0x40), ed: !!(byte & 0x80) };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const signCount = view.getUint32(33);
  let offset = MIN_LENGTH;
  let attestedCredential: AttestedCredential | null = null;
  let extensions: CborMap | null = null;
  try {
    if (flags.at) {
      if (bytes.length < offset + 18) throw new WebAuthnError(step, "attested credential data is too short");
      const aaguid = bytes.slice(offset, offset + 16);
      const idLength = view.getUint16(offset + 16);
      offset += 18;
      if (idLength === 0 || idLength > MAX_CREDENTIAL_ID || offset + idLength > bytes.length) throw new WebAuthnError(step, "credential id length is invalid");
      const credentialId = bytes.slice(offset, offset + idLength);
      offset += idLength;
      const key = decodeCborPrefix(bytes.subarray(offset), { maxDepth: 2, maxItems: 16 });
      if (!isCborMap(key.value)) throw new WebAuthnError(step, "credential public key is not a CBOR map");
      attestedCredential = { aaguid, credentialId, publicKeyBytes: bytes.slice(offset, offset + key.length), publicKey: key.value };
      offset += key.length;
    }
    if (flags.ed) {
      const found = decodeCborPrefix(bytes.subarray(offset), { maxDepth: 4, maxItems: 64 });
      if (!isCborMap(found.value)) throw new WebAuthnError(step, "extensions are not a CBOR map");
      extensions = found.value;
      offset += found.length;
    }
  } catch (error) {
    if (error instanceof CborError) throw new WebAuthnError(step, `authenticator data: ${error.message}`);
    throw error;
  }
  if (offset !== bytes.length) throw new WebAuthnError(step, "authenticator data has trailing bytes");
  return { rpIdHash: bytes.slice(0, 32), flags, signCount, attestedCredential, extensions };
}
