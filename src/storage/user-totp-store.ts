/** The one-time-code factors' store: `.db_UserTotp.json` on the JSON files, the `user_totp` table in PostgreSQL. */
import { USER_TOTP_FIELDS, USER_TOTP_MODEL, type UserTotpRecord } from "../domain/user-totp.ts";
import { JsonFileStore, type StoreTuning } from "./json-file/store.ts";
import type { PgTable } from "./postgres/store.ts";
import type { RecordStore } from "./record-store.ts";

export type UserTotpStore = RecordStore<UserTotpRecord>;

export function openUserTotpStore(dataDir: string, options: StoreTuning = {}): JsonFileStore<UserTotpRecord> {
  return JsonFileStore.open<UserTotpRecord>({ ...options, model: USER_TOTP_MODEL, dataDir });
}

/** The PostgreSQL table (a migration in postgres/database.ts makes it). */
export const USER_TOTP_TABLE: PgTable<UserTotpRecord> = { name: "user_totp", columns: USER_TOTP_FIELDS };
