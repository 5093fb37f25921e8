/** The User model: stored fields as in the original's `.db_User.json`, and its public JSON. */
import { stringifySorted } from "../sorted-json.ts";
import { type BaseRecord, type Clock, newBaseRecord } from "./base.ts";
import { hashPassword } from "./password.ts";

export interface UserRecord extends BaseRecord {
  email: string | null;
  /** argon2id PHC string, or the original's hex SHA-256; never leaves the server. */
  _password: string | null;
  first_name: string | null;
  last_name: string | null;
  /** Set on users who may manage the others under USERS_API=admin; private, as `_password` is. */
  _admin?: boolean | null;
  /** When `users unlock` last forgave the account's failed logins (ISO 8601, ms); private. */
  _unlocked_at?: string | null;
}

export function isAdmin(user: UserRecord): boolean {
  return user._admin === true;
}

/**
 * The name an account's failed logins are counted under. Each unlock gives it a new one, so that
 * a running server stops counting the failures before it as soon as it sees the changed record,
 * whichever process keeps the counts (its own memory included).
 */
export function throttleAccount(user: UserRecord): string {
  return user._unlocked_at ? `${user.id}@${user._unlocked_at}` : user.id;
}

/**
 * The stored fields, in the original's order: the one list from which the PostgreSQL columns
 * and the public JSON are made. The private ones start with `_`, as in the original.
 */
export const USER_FIELDS = ["id", "created_at", "updated_at", "email", "_password", "first_name", "last_name", "_admin", "_unlocked_at"] as const satisfies readonly (keyof UserRecord)[];

/** Fails to compile when UserRecord gains a field that USER_FIELDS does not list. */
const everyUserField: Exclude<keyof UserRecord, (typeof USER_FIELDS)[number]> extends never ? true : never = true;
void everyUserField;

/** A user as the API shows it: the record without its private (`_`) fields. */
export type PublicUser = Omit<UserRecord, Extract<keyof UserRecord, `_${string}`>>;

/**
 * An email as accounts are told apart: trimmed and lowercase, so that `Bob@x` and ` bob@x` are one
 * account (the address itself is kept as typed, trimmed).
 */
export function foldEmail(email: unknown): unknown {
  return typeof email === "string" ? email.trim().toLowerCase() : email;
}

/** The one shape an address must have at creation: something, an @, and a domain part. */
export function isValidEmail(email: string): boolean {
  return /^[^@\s]+@[^@\s.]+(\.[^@\s.]+)*$/.test(email);
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

/** The public fields, sorted, so that the JSON output needs no re-sorting. */
const PUBLIC_FIELDS = USER_FIELDS.filter((field) => !field.startsWith("_")).sort() as (keyof PublicUser)[];
const PUBLIC_FIELD_SET: ReadonlySet<string> = new Set(PUBLIC_FIELDS);

/**
 * `to_json()`: every attribute but the private ones (those starting with `_`); the usual fields
 * first, in sorted order, each present (null when the record lacks it).
 */
export function toPublicUser(user: UserRecord): PublicUser {
  const visible = {} as PublicUser & Record<string, unknown>;
  const fields = user as unknown as Record<string, unknown>;
  for (const field of PUBLIC_FIELDS) visible[field] = (fields[field] ?? null) as never;
  for (const key in user) {
    if (!key.startsWith("_") && !PUBLIC_FIELD_SET.has(key)) visible[key] = fields[key];
  }
  return visible;
}

/**
 * The longest values accepted, in characters: every backend stores them (a PostgreSQL index
 * entry holds at most about 2,700 bytes), and no real address or name comes near.
 */
export const FIELD_LIMITS = { email: 320, first_name: 256, last_name: 256, password: 1024, id: 256 } as const;

/**
 * Why a text cannot be stored as it is on every backend, or null when it can: PostgreSQL refuses
 * NUL characters, and indexes refuse long values.
 */
export function storable(value: string, maxLength: number): "too long" | "NUL character" | null {
  if (value.length > maxLength) return "too long";
  if (value.includes("\0")) return "NUL character";
  return null;
}

/** What is wrong with a value for a user field, in words for an error message; null when it can be stored. */
export function fieldProblem(field: keyof typeof FIELD_LIMITS, value: string): string | null {
  const problem = storable(value, FIELD_LIMITS[field]);
  if (problem === "too long") return `${field} too long (at most ${FIELD_LIMITS[field]} characters)`;
  if (problem === "NUL character") return `${field} must not contain a NUL character`;
  return null;
}

/**
 * What is wrong with a new password, in words for an error message (`password too short (at least
 * 8 characters)`); null when it may be set. Counted in characters (code points), as a person
 * counts them: an emoji is one. Only a password being set is checked; stored ones log in as they are.
 */
export function passwordProblem(password: string, minLength: number): string | null {
  const problem = fieldProblem("password", password);
  if (problem !== null) return problem;
  let characters = 0;
  for (const _ of password) if (++characters >= minLength) return null;
  return `password too short (at least ${minLength} characters)`;
}

export interface NewUser {
  email: string;
  password: string;
  first_name?: string | null;
  last_name?: string | null;
  admin?: boolean;
}

export async function newUser(input: NewUser, clock: Clock): Promise<UserRecord> {
  return {
    ...newBaseRecord(clock),
    email: input.email,
    _password: await hashPassword(input.password),
    first_name: input.first_name ?? null,
    last_name: input.last_name ?? null,
    ...(input.admin ? { _admin: true } : {}),
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
    fingerprint = hashFingerprint(user._password);
    if (Object.isFrozen(user)) fingerprints.set(user, fingerprint);
  }
  return fingerprint;
}

/** passwordFingerprint of a user whose stored hash is `hash`: known before the record is written. */
export function hashFingerprint(hash: string | null | undefined): string {
  return Bun.SHA256.hash(`session-auth:${hash ?? ""}`, "hex").slice(0, 32);
}

/**
 * What a session keeps while its own user changes the password under it: several fingerprints,
 * under any of which it stands. The user record and the session are two writes (often in two
 * stores); a request on the session between them must find one of its fingerprints matching.
 */
export function eitherFingerprint(...fingerprints: string[]): string {
  return [...new Set(fingerprints.flatMap((fingerprint) => fingerprint.split(" ")))].join(" ");
}

/**
 * Whether a session keeping `kept` (a fingerprint, or several from eitherFingerprint) stands for
 * the user as stored now. Sessions without one (the original program's) stand for any hash.
 */
export function fingerprintStands(kept: string | null, user: UserRecord): boolean {
  if (kept === null) return true;
  const fingerprint = passwordFingerprint(user);
  return kept === fingerprint || (kept.length > fingerprint.length && kept.split(" ").includes(fingerprint));
}
