/** The User model: stored fields as in the original's `.db_User.json`, and its public JSON. */
import { stringifySorted } from "../http/responses.ts";
import { type BaseRecord, type Clock, newBaseRecord } from "./base.ts";
import { hashPassword } from "./password.ts";
import type { RecordStore } from "./record-store.ts";
import { JsonFileStore, type StoreTuning } from "./store.ts";

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

const fingerprints = new WeakMap<UserRecord, string>();

/**
 * A short digest of the user's stored password hash. A session keeps the fingerprint of the hash
 * its password was checked against and stands only while the user's hash still matches, so a
 * password change ends every older session, in every process, without any message between them
 * (Django's session auth hash). Made once per (frozen) record: it is checked on every request.
 */
export function passwordFingerprint(user: UserRecord): string {
  let fingerprint = fingerprints.get(user);
  if (fingerprint === undefined) {
    fingerprint = Bun.SHA256.hash(`session-auth:${user._password ?? ""}`, "hex").slice(0, 32);
    if (Object.isFrozen(user)) fingerprints.set(user, fingerprint);
  }
  return fingerprint;
}
