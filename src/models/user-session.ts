/** The UserSession model of session_db_auth: one record per live session. */
import type { BaseRecord } from "./base.ts";
import { JsonFileStore, type RecordStore, type StoreTuning } from "./store.ts";

export interface UserSessionRecord extends BaseRecord {
  user_id: string;
  /** SHA-256 (hex) of the cookie value: a leaked file opens no session. */
  session_id: string;
}

export type UserSessionStore = RecordStore<UserSessionRecord>;

/** Removes every stored session of a user; resolves with how many there were. */
export async function removeUserSessions(sessions: UserSessionStore, userId: string): Promise<number> {
  const records = await sessions.search({ user_id: userId });
  await Promise.all(records.map((record) => sessions.remove(record.id)));
  return records.length;
}

export function openUserSessionStore(dataDir: string, options: StoreTuning = {}): JsonFileStore<UserSessionRecord> {
  return JsonFileStore.open<UserSessionRecord>({ ...options, model: "UserSession", dataDir, indexes: ["session_id", "user_id"] });
}
