/** The User model: stored fields as in the original's `.db_User.json`, and its public JSON. */
import { stringifySorted } from "../http/responses.ts";
import { type BaseRecord, type Clock, formatTimestamp, newBaseRecord } from "./base.ts";
import { hashPassword, verifyPassword } from "./password.ts";
import { JsonFileStore, type RecordStore, type StoreTuning } from "./store.ts";

export interface UserRecord extends BaseRecord {
  email: string | null;
  /** argon2id PHC string, or the original's hex SHA-256; never leaves the server. */
  _password: string | null;
  first_name: string | null;
  last_name: string | null;
}

export interface PublicUser {
  id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  created_at: string;
  updated_at: string;
}

export type UserStore = RecordStore<UserRecord>;

export function openUserStore(dataDir: string, options: StoreTuning = {}): JsonFileStore<UserRecord> {
  return JsonFileStore.open<UserRecord>({ ...options, model: "User", dataDir, unique: ["email"] });
}

/**
 * A stored user's public JSON, made once per record: records are frozen, so the text can never
 * go stale, and `/users/me` answers without serialising anything.
 */
const publicJsonCache = new WeakMap<UserRecord, string>();

export function publicUserJson(user: UserRecord): string {
  let text = publicJsonCache.get(user);
  if (text === undefined) {
    text = stringifySorted(toPublicUser(user));
    if (Object.isFrozen(user)) publicJsonCache.set(user, text);
  }
  return text;
}

const PUBLIC_FIELDS = new Set(["created_at", "email", "first_name", "id", "last_name", "updated_at"]);

/**
 * `to_json()`: every attribute but the private ones (those starting with `_`). The usual fields
 * come first in sorted order, so that the JSON output needs no re-sorting.
 */
export function toPublicUser(user: UserRecord): PublicUser {
  const visible: PublicUser & Record<string, unknown> = {
    created_at: user.created_at,
    email: user.email ?? null,
    first_name: user.first_name ?? null,
    id: user.id,
    last_name: user.last_name ?? null,
    updated_at: user.updated_at,
  };
  for (const key in user) {
    if (!key.startsWith("_") && !PUBLIC_FIELDS.has(key)) visible[key] = (user as unknown as Record<string, unknown>)[key];
  }
  return visible;
}

export interface NewUser {
  email: string;
  password: string;
  first_name?: string | null;
  last_name?: string | null;
}

export async function newUser(input: NewUser, clock: Clock): Promise<UserRecord> {
  return {
    ...newBaseRecord(clock),
    email: input.email,
    _password: await hashPassword(input.password),
    first_name: input.first_name ?? null,
    last_name: input.last_name ?? null,
  };
}

/**
 * `is_valid_password`, plus the upgrade of an old hash: after a successful check against a
 * SHA-256 record, the record is re-saved with argon2id.
 */
export async function checkUserPassword(users: UserStore, user: UserRecord, password: unknown, clock: Clock): Promise<boolean> {
  if (typeof password !== "string") return false;
  const { valid, needsRehash } = await verifyPassword(password, user._password);
  if (valid && needsRehash) {
    const current = await users.get(user.id);
    // Upgrade only if nobody changed the record meanwhile; a failed upgrade is retried next login.
    if (current && current._password === user._password) {
      await users.save({ ...current, _password: await hashPassword(password), updated_at: formatTimestamp(clock()) }).catch(() => {});
    }
  }
  return valid;
}
