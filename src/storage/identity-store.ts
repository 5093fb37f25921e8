/** Identity links: the RecordStore of IdentityRecords, and its JSON-file form (`.db_UserIdentity.json`, a file of its own). */
import type { IdentityRecord } from "../domain/identity.ts";
import { JsonFileStore, type StoreTuning } from "./json-file/store.ts";
import type { RecordStore } from "./record-store.ts";

export type IdentityStore = RecordStore<IdentityRecord>;

export const IDENTITY_MODEL = "UserIdentity";

export function openIdentityStore(dataDir: string, options: StoreTuning = {}): JsonFileStore<IdentityRecord> {
  return JsonFileStore.open<IdentityRecord>({ ...options, model: IDENTITY_MODEL, dataDir, unique: ["link_key"], indexes: ["user_id"] });
}
