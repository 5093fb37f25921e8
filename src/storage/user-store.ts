/** The users' store: the RecordStore of UserRecords, and its JSON-file form (`.db_User.json`). */
import { foldEmail, type UserRecord } from "../domain/user.ts";
import { JsonFileStore, type StoreTuning } from "./json-file/store.ts";
import type { RecordStore } from "./record-store.ts";

export type UserStore = RecordStore<UserRecord>;

/** The JSON-file user store of a data folder: emails unique as folded (trimmed, lowercase). */
export function openUserStore(dataDir: string, options: StoreTuning = {}): JsonFileStore<UserRecord> {
  return JsonFileStore.open<UserRecord>({ ...options, model: "User", dataDir, unique: ["email"], folds: { email: foldEmail } });
}
