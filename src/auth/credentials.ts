/**
 * The one credentials check, for session logins and Basic alike: which user an email and a
 * password name, throttled per client and per account. The password is checked against the hash
 * as stored, and an old SHA-256 hash is upgraded only while it is still the stored one
 * (compare-and-set), so a concurrent password change or deletion is never undone.
 */
import { type Clock, formatTimestamp } from "../models/base.ts";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "../models/password.ts";
import { StoreWriteError } from "../models/record-store.ts";
import type { UserRecord, UserStore } from "../models/user.ts";
import { type LoginThrottle, ThrottledError } from "./throttle.ts";

export type CredentialCheck =
  /** `user` is the record as stored after the check: its `_password` is the hash the password matched. */
  | { user: UserRecord; failure: null }
  | { user: null; failure: "unknown-email" | "wrong-password" };

/** `checkCredentials` behind the throttle: what the login route and BasicAuth both call. */
export class CredentialsCheck {
  constructor(
    private readonly users: UserStore,
    private readonly clock: Clock,
    /** null: no limits (a strategy built on its own, as the original's classes are). */
    private readonly throttle: LoginThrottle | null = null,
  ) {}

  /** Throws ThrottledError while the client (null: none known) or the account has failed too often. */
  admit(client: string | null, email: string | null): void {
    const wait = this.throttle?.retryAfter(client, email) ?? 0;
    if (wait > 0) throw new ThrottledError(wait);
  }

  /** Checks a password, once admitted, and counts the outcome: a failure against both, a success clears the account's count. */
  async check(email: string, password: string, client: string | null): Promise<CredentialCheck> {
    this.admit(client, email);
    const result = await checkCredentials(this.users, email, password, this.clock);
    if (result.user) this.succeeded(email);
    else this.failed(client, result.failure === "unknown-email" ? null : email);
    return result;
  }

  /** A password that matched (now, or lately for a remembered Basic header) clears the account's count. */
  succeeded(email: string): void {
    this.throttle?.succeeded(email);
  }

  /** A failed attempt: the client's count, and the account's when one was named. */
  failed(client: string | null, email: string | null): void {
    this.throttle?.failed(client, email);
  }
}

/** How often a check starts again when the stored hash changed while it was verifying. */
const ATTEMPTS = 3;

export async function checkCredentials(users: UserStore, email: string, password: string, clock: Clock): Promise<CredentialCheck> {
  const candidates = await users.search({ email });
  if (candidates.length === 0) {
    await verifyAgainstDummy(password);
    return { user: null, failure: "unknown-email" };
  }
  // The original program never refused a second user with one email: each is tried in turn.
  for (const candidate of candidates) {
    const user = await verifiedUser(users, candidate, password, clock);
    if (user) return { user, failure: null };
  }
  return { user: null, failure: "wrong-password" };
}

/** The user as stored, if `password` matches the hash stored now; null if it does not, or the user is gone. */
async function verifiedUser(users: UserStore, read: UserRecord, password: string, clock: Clock): Promise<UserRecord | null> {
  let user: UserRecord | null = read;
  for (let attempt = 0; attempt < ATTEMPTS && user !== null; attempt++) {
    const { valid, needsRehash } = await verifyPassword(password, user._password);
    if (!valid) return null;
    if (!needsRehash) return user;
    let upgraded: UserRecord | null;
    try {
      upgraded = await users.update(user.id, { _password: await hashPassword(password), updated_at: formatTimestamp(clock()) }, { expect: { _password: user._password } });
    } catch (error) {
      // The disk refused the upgrade: the old hash still stands, and the next login tries again.
      if (error instanceof StoreWriteError) return user;
      throw error;
    }
    if (upgraded) return upgraded;
    // Changed (a new password, another login's upgrade) or deleted meanwhile: check what is stored now.
    user = await users.get(user.id, { fresh: true });
  }
  return null;
}
