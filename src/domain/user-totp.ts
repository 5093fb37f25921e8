/**
 * A user's one-time-code factor: the TOTP secret (sealed, never plain), a secret waiting for its
 * first code, the last time step a code was accepted for (so that no code is accepted twice,
 * by any process, across restarts) and the recovery codes' keyed hashes. One record per user,
 * its id the user's id, kept apart from the user's record: the original program rewriting
 * `.db_User.json` never touches it.
 */
import type { BaseRecord } from "./base.ts";

export interface UserTotpRecord extends BaseRecord {
  /** The active secret, sealed (SecretBox); null while only a pending one exists. */
  secret: string | null;
  /** A secret handed out by enrolment and not yet confirmed by a code, sealed; replaced by each new enrolment. */
  pending_secret: string | null;
  /** When the factor was turned on (YYYY-MM-DDTHH:MM:SS UTC); null while pending. */
  enabled_at: string | null;
  /** RFC 6238 §5.2: the last step a code was accepted for; none at or before it is accepted again. */
  last_step: number | null;
  /** Keyed hashes of the unused recovery codes, space-separated. */
  recovery_codes: string | null;
}

export const USER_TOTP_MODEL = "UserTotp";

/** The stored fields: the PostgreSQL columns are made from this list. */
export const USER_TOTP_FIELDS = ["id", "created_at", "updated_at", "secret", "pending_secret", "enabled_at", "last_step", "recovery_codes"] as const satisfies readonly (keyof UserTotpRecord)[];

const everyField: Exclude<keyof UserTotpRecord, (typeof USER_TOTP_FIELDS)[number]> extends never ? true : never = true;
void everyField;

/** Whether the record stands for a factor that is on (not merely pending). */
export function totpEnabled(record: UserTotpRecord | null): boolean {
  return record !== null && record.secret !== null;
}
