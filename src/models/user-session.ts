/** The UserSession model of session_db_auth: one record per live session. */
import { type BaseRecord, parseTimestamp } from "./base.ts";
import type { RecordStore } from "./record-store.ts";
import { JsonFileStore, type StoreTuning } from "./store.ts";

export interface UserSessionRecord extends BaseRecord {
  user_id: string;
  /** SHA-256 (hex) of the cookie value: a leaked file opens no session. */
  session_id: string;
  /**
   * passwordFingerprint of the hash the login checked; the session ends when the user's hash
   * changes. Absent in records the original program wrote, which stand as before.
   */
  password_fingerprint?: string | null;
}

export type UserSessionStore = RecordStore<UserSessionRecord>;

/** Removes every stored session of a user, including one stored a moment ago; resolves with how many. */
export function removeUserSessions(sessions: UserSessionStore, userId: string): Promise<number> {
  return sessions.removeWhere({ user_id: userId });
}

/**
 * The latest moment (epoch ms) a stored session can have been created: its `created_at` holds
 * whole seconds, and a session must never expire before SESSION_DURATION has passed.
 */
export function storedSessionStart(record: UserSessionRecord): number {
  return parseTimestamp(record.created_at) + 999;
}

export function openUserSessionStore(dataDir: string, options: StoreTuning = {}): JsonFileStore<UserSessionRecord> {
  return JsonFileStore.open<UserSessionRecord>({ ...options, model: "UserSession", dataDir, indexes: ["session_id", "user_id"] });
}
