/**
 * A passkey: the credential record of WebAuthn Level 3 §7.1 step 27, one per registered
 * authenticator credential, in a file (or table) of its own beside the users.
 */
import type { BaseRecord } from "./base.ts";

export interface PasskeyRecord extends BaseRecord {
  user_id: string;
  /** base64url; unique across users (§7.1 step 26). */
  credential_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  /** The COSE algorithm: -7 ES256, -8 EdDSA, -257 RS256. */
  algorithm: number;
  /** The signature counter last seen (§7.2 step 22). */
  sign_count: number;
  /** The owner's name for it. */
  name: string;
  /** The transports the browser reported, joined by commas (for allowCredentials hints). */
  transports: string;
  backup_eligible: boolean;
  backup_state: boolean;
  /** Whether the authenticator verified the user when it was registered (uvInitialized). */
  user_verified: boolean;
  aaguid: string;
  last_used_at?: string | null;
}

/** The stored fields: the PostgreSQL columns are made from this list. */
export const PASSKEY_FIELDS = [
  "id",
  "created_at",
  "updated_at",
  "user_id",
  "credential_id",
  "public_key",
  "algorithm",
  "sign_count",
  "name",
  "transports",
  "backup_eligible",
  "backup_state",
  "user_verified",
  "aaguid",
  "last_used_at",
] as const satisfies readonly (keyof PasskeyRecord)[];

/** Longest name kept, in characters. */
export const PASSKEY_NAME_MAX = 64;

/**
 * A name as given, trimmed, or a problem: names are shown on the page and in the CLI, so no
 * control characters.
 */
export function passkeyNameProblem(name: unknown): string | null {
  if (typeof name !== "string") return "name must be text";
  const trimmed = name.trim();
  if (trimmed === "") return "name must not be empty";
  if ([...trimmed].length > PASSKEY_NAME_MAX) return `name must be at most ${PASSKEY_NAME_MAX} characters`;
  if (/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(trimmed)) return "name must not contain control characters";
  return null;
}

/** What the owner sees of a passkey: never its key or counter. */
export function passkeyJson(passkey: PasskeyRecord): { id: string; name: string; created_at: string; last_used_at: string | null } {
  return { id: passkey.id, name: passkey.name, created_at: passkey.created_at, last_used_at: passkey.last_used_at ?? null };
}

/** The user handle WebAuthn carries for a user: their id's bytes, base64url (no personal data). */
export function userHandle(userId: string): string {
  return Buffer.from(userId, "utf8").toString("base64url");
}
