/** The UserSession model of session_db_auth: one record per live session. */
import { latestMomentOf, timestampsBelow } from "./session-time.ts";
import type { BaseRecord } from "./base.ts";

export interface UserSessionRecord extends BaseRecord {
  user_id: string;
  /** SHA-256 (hex) of the cookie value: a leaked file opens no session. */
  session_id: string;
  /**
   * passwordFingerprint of the hash the login checked; the session ends when the user's hash
   * changes. Absent in records the original program wrote, which stand as before.
   */
  password_fingerprint?: string | null;
  /** When the session was last used, recorded at most about once a minute; absent: its creation. */
  last_used_at?: string | null;
  /** The client address and (shortened) user agent it was created from, for its owner's list. */
  client_address?: string | null;
  user_agent?: string | null;
  /** The factors its sign-in passed, joined by commas (src/sessions/factors.ts); absent: a password. */
  factors?: string | null;
}

/** The fields a stored session's use changes. */
export type SessionChanges = Partial<Pick<UserSessionRecord, "last_used_at" | "password_fingerprint">>;

/**
 * The stored fields, the original's first: the one list from which the PostgreSQL columns and
 * the Redis hash fields are made.
 */
export const SESSION_FIELDS = ["id", "created_at", "updated_at", "user_id", "session_id", "password_fingerprint", "last_used_at", "client_address", "user_agent", "factors"] as const satisfies readonly (keyof UserSessionRecord)[];

/** The fields a stored session may lack (records of the original program, or of earlier versions). */
export const OPTIONAL_SESSION_FIELDS: ReadonlySet<string> = new Set(["password_fingerprint", "last_used_at", "client_address", "user_agent", "factors"] satisfies (keyof UserSessionRecord)[]);

/** Fails to compile when UserSessionRecord gains a field that SESSION_FIELDS does not list. */
const everySessionField: Exclude<keyof UserSessionRecord, (typeof SESSION_FIELDS)[number]> extends never ? true : never = true;
void everySessionField;

/**
 * Oldest first: by `created_at` as stored (text; a record without one first), then by id, as
 * every session store lists them.
 */
export function oldestFirst(a: UserSessionRecord, b: UserSessionRecord): number {
  const createdA = typeof a.created_at === "string" ? a.created_at : "";
  const createdB = typeof b.created_at === "string" ? b.created_at : "";
  if (createdA !== createdB) return createdA < createdB ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The latest moment (epoch ms) a stored session can have been created: its `created_at` holds
 * whole seconds, and a session must never expire before SESSION_DURATION has passed. NaN for a
 * timestamp that cannot be read (such a session counts as expired).
 */
export function storedSessionStart(record: UserSessionRecord): number {
  return storedTimes(record).start;
}

/** The latest moment (epoch ms) a stored session can have been last used; NaN when unreadable (counts as idle). */
export function storedLastUse(record: UserSessionRecord): number {
  return storedTimes(record).lastUse;
}

/**
 * storedSessionStart and storedLastUse, read once per record: stored records are frozen and the
 * stores hand the same object out again, so a session in use is not parsed on every request.
 */
const times = new WeakMap<UserSessionRecord, { start: number; lastUse: number }>();

export function storedTimes(record: UserSessionRecord): { start: number; lastUse: number } {
  let found = times.get(record);
  if (found === undefined) {
    found = { start: latestMomentOf(record.created_at), lastUse: latestMomentOf(record.last_used_at ?? record.created_at) };
    if (Object.isFrozen(record)) times.set(record, found);
  }
  return found;
}

/** Whether a stored session was last used before `moment` (epoch ms), as storedLastUse reads it. */
export function unusedSince(record: UserSessionRecord, moment: number): boolean {
  return !(storedLastUse(record) >= moment);
}

/** Whether a stored session was created before `moment` (epoch ms), as storedSessionStart reads it. */
export function createdBefore(record: UserSessionRecord, moment: number): boolean {
  return !(storedSessionStart(record) >= moment);
}

/**
 * The timestamp T such that `created_at < T`, compared as text, holds exactly for the sessions
 * created before `moment`: the timestamps are whole seconds in a fixed-width format.
 */
export function createdBeforeTimestamp(moment: number): string {
  return timestampsBelow(moment);
}
