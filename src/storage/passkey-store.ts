/**
 * The passkeys' store: the RecordStore of PasskeyRecords; on the JSON files `.db_Passkey.json`
 * (a file the original program never touches), in PostgreSQL the `passkeys` table. A credential
 * id is unique across users on both.
 */
import { PASSKEY_FIELDS, type PasskeyRecord } from "../domain/passkey.ts";
import { JsonFileStore, type StoreTuning } from "./json-file/store.ts";
import type { PgTable } from "./postgres/store.ts";
import type { RecordStore } from "./record-store.ts";

export type PasskeyStore = RecordStore<PasskeyRecord>;

export function openPasskeyStore(dataDir: string, options: StoreTuning = {}): JsonFileStore<PasskeyRecord> {
  return JsonFileStore.open<PasskeyRecord>({ ...options, model: "Passkey", dataDir, indexes: ["user_id"], unique: ["credential_id"] });
}

export const PASSKEYS_TABLE: PgTable<PasskeyRecord> = { name: "passkeys", columns: PASSKEY_FIELDS, optional: ["last_used_at"] };
