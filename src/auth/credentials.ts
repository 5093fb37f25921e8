/**
 * The one credentials check, for session logins and Basic alike: which user an email and a
 * password name, throttled per client and per account. Each attempt is counted before its
 * password is checked (and given back when it succeeds), so that a burst of concurrent attempts
 * gets no more checks than the limits allow. The password is checked against the hash as
 * stored, and an old SHA-256 hash is upgraded only while it is still the stored one
 * (compare-and-set), so a concurrent password change or deletion is never undone.
 */
import { type Clock, formatTimestamp } from "../domain/base.ts";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "../domain/password.ts";
import { StoreWriteError } from "../storage/record-store.ts";
import { FIELD_LIMITS, storable, throttleAccount, type UserRecord } from "../domain/user.ts";
import { type UserStore } from "../storage/user-store.ts";
import type { LoginThrottle } from "./throttle.ts";

export type CredentialCheck =
  /** `user` is the record as stored after the check: its `_password` is the hash the password matched. */
  | { user: UserRecord; failure: null; held?: HeldAttempt }
  | { user: null; failure: "unknown-email" | "wrong-password" | "ambiguous-email" | "no-password"; held?: undefined };

/**
 * A login whose password matched and whose second factor is still to be checked: the attempt
 * stays counted against the client and the account until `settle` says how the factor went, so
 * that a right password with a wrong code counts as a failure, and a burst of codes gets no more
 * checks than the limits allow.
 */
export interface HeldAttempt {
  /** "ok": forgiven as a successful login is; "absent": given back (it was no failure); "wrong": stays counted. */
  settle(outcome: "ok" | "wrong" | "absent"): Promise<void>;
}

export interface CheckOptions {
  /** Whether a user whose password matched has more to prove: their attempt is then held, not forgiven. */
  hold?: (user: UserRecord) => Promise<boolean>;
}

/** checkCredentials behind the throttle: what the login route and BasicAuth both call. */
export class CredentialsCheck {
  constructor(
    private readonly users: UserStore,
    private readonly clock: Clock,
    /** null: no limits (a strategy built on its own, as the original's classes are). */
    private readonly throttle: LoginThrottle | null = null,
  ) {}

  /**
   * Checks a password, counting the attempt against the client (null: none known) and against
   * each account the email names before any hash is verified; ThrottledError when a count is at
   * its limit. A success gives the client's attempt back and starts the account's count again;
   * an unknown email counts against the client only.
   */
  async check(email: string, password: string, client: string | null, options: CheckOptions = {}): Promise<CredentialCheck> {
    if (this.throttle === null) {
      const result = await checkCredentials(this.users, email, password, this.clock);
      if (result.user && options.hold && (await options.hold(result.user))) return { ...result, held: { settle: async () => {} } };
      return result;
    }
    if (client !== null) await this.throttle.takeClient(client);
    return this.checkCounted(await findCandidates(this.users, email), password, client, options);
  }

  /**
   * A second-factor code of a signed-in user's, checked by `work` (true: right), counted against
   * the client and the account as a password is: refused unchecked past a limit (ThrottledError),
   * forgiven when right.
   */
  async checkCode(user: UserRecord, client: string | null, work: () => Promise<boolean>): Promise<boolean> {
    if (this.throttle === null) return work();
    if (client !== null) await this.throttle.takeClient(client);
    const result = await this.checkCounted([user], "", client, { hold: async () => true }, async () => ({ user, failure: null }));
    const held = result.held!;
    let right = false;
    try {
      right = await work();
    } finally {
      await held.settle(right ? "ok" : "wrong");
    }
    return right;
  }

  /** The same check of one known user's password (changing it needs the current one). */
  async checkUser(user: UserRecord, password: string, client: string | null): Promise<CredentialCheck> {
    if (this.throttle === null) return checkCandidates(this.users, [user], password, this.clock);
    if (client !== null) await this.throttle.takeClient(client);
    return this.checkCounted([user], password, client);
  }

  /** Counts the attempt against each account the email names (the client's is counted already), then checks. */
  private async checkCounted(
    candidates: readonly UserRecord[],
    password: string,
    client: string | null,
    { hold }: CheckOptions = {},
    checkPassword: () => Promise<CredentialCheck> = () => checkCandidates(this.users, candidates, password, this.clock),
  ): Promise<CredentialCheck> {
    const throttle = this.throttle!;
    const counted: [id: string, account: string][] = [];
    try {
      for (const candidate of candidates) {
        const account = throttleAccount(candidate);
        await throttle.takeAccount(account);
        counted.push([candidate.id, account]);
      }
    } catch (error) {
      // Refused unchecked: nothing of this attempt stays counted.
      await Promise.all([client !== null ? throttle.giveBackClient(client) : null, ...counted.map(([, account]) => throttle.giveBackAccount(account))]);
      throw error;
    }
    const result = await checkPassword();
    if (result.user) {
      const userId = result.user.id;
      const settle = (outcome: "ok" | "wrong" | "absent") => {
        if (outcome === "wrong") return Promise.resolve();
        return Promise.all([
          client !== null ? throttle.giveBackClient(client) : null,
          ...counted.map(([id, account]) => (id === userId && outcome === "ok" ? throttle.clearAccount(account) : throttle.giveBackAccount(account))),
        ]).then(() => {});
      };
      if (hold && (await hold(result.user))) return { ...result, held: { settle } };
      await settle("ok");
    }
    return result;
  }

  /** An attempt that named no account at all (a Basic header that is not `email:password`): the client's count. */
  async failed(client: string | null): Promise<void> {
    if (client !== null) await this.throttle?.takeClient(client);
  }
}

/** How often a check starts again when the stored hash changed while it was verifying. */
const ATTEMPTS = 3;

export async function checkCredentials(users: UserStore, email: string, password: string, clock: Clock): Promise<CredentialCheck> {
  return checkCandidates(users, await findCandidates(users, email), password, clock);
}

/** The users an email names. An email no backend could store names no one, and is not looked up. */
async function findCandidates(users: UserStore, email: string): Promise<UserRecord[]> {
  if (storable(email, FIELD_LIMITS.email) !== null) return [];
  return users.search({ email });
}

async function checkCandidates(users: UserStore, candidates: readonly UserRecord[], password: string, clock: Clock): Promise<CredentialCheck> {
  if (candidates.length === 0) {
    await verifyAgainstDummy(password);
    return { user: null, failure: "unknown-email" };
  }
  // Old data files may hold one address twice (in two cases, say): which account is meant cannot
  // be told, so none is picked; an administrator tells them apart (users update --new-email).
  if (candidates.length > 1) {
    await verifyAgainstDummy(password);
    return { user: null, failure: "ambiguous-email" };
  }
  // A user a sign-in provider made has no password: no password opens it, and the form says why.
  if (!candidates[0]!._password) {
    await verifyAgainstDummy(password);
    return { user: null, failure: "no-password" };
  }
  const user = await verifiedUser(users, candidates[0]!, password, clock);
  return user ? { user, failure: null } : { user: null, failure: "wrong-password" };
}

/** The user as stored, if `password` matches the hash stored now; null if it does not, or the user is gone. */
async function verifiedUser(users: UserStore, read: UserRecord, password: string, clock: Clock): Promise<UserRecord | null> {
  let user: UserRecord | null = read;
  for (let attempt = 0; attempt < ATTEMPTS && user !== null; attempt++) {
    const { valid, needsRehash, costly } = await verifyPassword(password, user._password);
    // A failed check that cost no argon2 (the original's SHA-256, no password at all) takes as
    // long as one that did, so that timing tells nothing about the account; a matching SHA-256
    // pays the same in the argon2 hash that replaces it.
    if (!valid && !costly) await verifyAgainstDummy(password);
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
