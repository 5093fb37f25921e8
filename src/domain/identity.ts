/**
 * A link between a user and an identity at a sign-in provider: (issuer, subject), the pair
 * OpenID Connect Core §2 says is unique and never reassigned. An email never links by itself.
 */
import type { BaseRecord } from "./base.ts";

export interface IdentityRecord extends BaseRecord {
  user_id: string;
  /** The OIDC_PROVIDERS name it was linked through (the issuer may be listed under a new name later). */
  provider: string;
  issuer: string;
  subject: string;
  /** SHA-256 (hex) of issuer and subject: the one unique field, so that an identity links one user at most. */
  link_key: string;
  /** The address the provider gave at the last sign-in, for the user's list; null when none. */
  email: string | null;
}

export const IDENTITY_FIELDS = ["id", "created_at", "updated_at", "user_id", "provider", "issuer", "subject", "link_key", "email"] as const satisfies readonly (keyof IdentityRecord)[];

/** Fails to compile when IdentityRecord gains a field that IDENTITY_FIELDS does not list. */
const everyIdentityField: Exclude<keyof IdentityRecord, (typeof IDENTITY_FIELDS)[number]> extends never ? true : never = true;
void everyIdentityField;

/** The unique key of (issuer, subject): a NUL cannot be in either, so the pair is read one way only. */
export function linkKey(issuer: string, subject: string): string {
  return new Bun.CryptoHasher("sha256").update(`${issuer}\0${subject}`).digest("hex");
}

/** An identity as its user sees it. */
export function identityJson(record: IdentityRecord) {
  return { id: record.id, provider: record.provider, issuer: record.issuer, subject: record.subject, email: record.email, linked_at: record.created_at };
}
