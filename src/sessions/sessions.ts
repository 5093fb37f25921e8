/**
 * The Sessions service: the whole lifecycle of a session over one SessionStore (memory, JSON
 * files, PostgreSQL or Redis) and one policy. Create, find (ending on sight what has ended,
 * recording a use when one is due), list, end one / all but one / all of a user's, the password
 * change, and the sweep. The rule it keeps: no session outlives its user's deletion or a change
 * of its user's password.
 */
import { type Clock, formatTimestamp, newBaseRecord } from "../domain/base.ts";
import { andThen, type MaybePromise } from "../maybe-promise.ts";
import type { SessionStore } from "../storage/session-store.ts";
import { eitherFingerprint, fingerprintStands, hashFingerprint, passwordFingerprint, type UserRecord } from "../domain/user.ts";
import { type UserStore } from "../storage/user-store.ts";
import type { UserSessionRecord } from "../domain/user-session.ts";
import { factorsText } from "./factors.ts";
import { type FoundSession, foundSession, type NewSessionOptions, sessionKey, shortUserAgent } from "./found-session.ts";

export type { FoundSession, NewSessionOptions } from "./found-session.ts";

export interface SessionPolicy {
  /** Seconds from creation after which a session ends, however busy (SESSION_DURATION); 0 or less: never. */
  readonly duration: number;
  /** Seconds without use after which a session ends (SESSION_IDLE_TIMEOUT); 0 or less: never. */
  readonly idleTimeout: number;
}

/** The policy the settings give: SESSION_DURATION and SESSION_IDLE_TIMEOUT. */
export function sessionPolicy(config: { sessionDuration: number; sessionIdleTimeout?: number }): SessionPolicy {
  return { duration: config.sessionDuration, idleTimeout: config.sessionIdleTimeout ?? 0 };
}

/** A session is marked used at most this often, so that a busy one does not write on every request. */
export const RECORD_USE_EVERY_MS = 60_000;

/** Why a new session was ended at once: its user went, or changed password, while it was made. */
export type LoginRefusal = "user-deleted" | "password-changed";

/** `result` once `work` settles, failed or not; at once when `work` is not a promise. */
function settled<T>(work: MaybePromise<unknown>, result: T): MaybePromise<T> {
  return andThen(work, () => result, () => result);
}

export class Sessions {
  constructor(
    readonly store: SessionStore,
    private readonly users: UserStore,
    readonly policy: SessionPolicy,
    private readonly clock: Clock,
  ) {}

  /** Stores a new session of `userId`; resolves with its id (a random UUID v4, the cookie's value) once it is stored. */
  async create(userId: string, options: NewSessionOptions = {}): Promise<string> {
    const sessionId = crypto.randomUUID();
    const record: UserSessionRecord = { ...newBaseRecord(this.clock), user_id: userId, session_id: sessionKey(sessionId) };
    if (options.fingerprint !== undefined) record.password_fingerprint = options.fingerprint;
    if (options.clientAddress) record.client_address = options.clientAddress;
    const userAgent = shortUserAgent(options.userAgent);
    if (userAgent) record.user_agent = userAgent;
    const factors = options.factors ? factorsText(options.factors) : null;
    if (factors !== null) record.factors = factors;
    await this.store.create(record);
    return sessionId;
  }

  /**
   * A session for a login that checked `user`'s password. A deletion or password change that ran
   * meanwhile, here or in another process, removes the user's sessions before or after this one
   * is stored: if after, it is ended here, so that no session outlives either.
   */
  async createForLogin(user: UserRecord, options: Omit<NewSessionOptions, "fingerprint"> = {}): Promise<{ sessionId: string; user: UserRecord } | { refused: LoginRefusal }> {
    const fingerprint = passwordFingerprint(user);
    const sessionId = await this.create(user.id, { ...options, fingerprint });
    const stored = await this.users.get(user.id, { fresh: true });
    if (stored !== null && passwordFingerprint(stored) === fingerprint) return { sessionId, user: stored };
    await this.endById(sessionId);
    return { refused: stored === null ? "user-deleted" : "password-changed" };
  }

  /** The live session a session id names, or null; one that ended is removed on sight, and a use is recorded when due. */
  find(sessionId: unknown): MaybePromise<FoundSession | null> {
    if (typeof sessionId !== "string") return null;
    const record = this.store.findByKey(sessionKey(sessionId));
    if (record instanceof Promise) return record.then((stored) => (stored === null ? null : this.live(stored)));
    return record === null ? null : this.live(record);
  }

  /** The user of the live session a session id names, while the session stands for them; else null. */
  userFor(sessionId: string | null): MaybePromise<UserRecord | null> {
    const found = this.find(sessionId);
    if (found instanceof Promise) return found.then((session) => (session === null ? null : this.userOf(sessionId, session)));
    return found === null ? null : this.userOf(sessionId, found);
  }

  /** Ends a session; true if it was still there. */
  end(session: FoundSession): MaybePromise<boolean> {
    return this.store.remove(session.key);
  }

  /** Ends the session a session id names; false if there is none. */
  async endById(sessionId: unknown): Promise<boolean> {
    const found = await this.find(sessionId);
    return found !== null && (await this.end(found));
  }

  /** The user's sessions that stand: not ended by time, and opened under the present password; newest first. */
  async list(user: UserRecord): Promise<FoundSession[]> {
    const live = (await this.store.list(user.id)).map(foundSession).filter((session) => !this.hasEnded(session) && fingerprintStands(session.fingerprint, user));
    return live.sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Ends one of the user's sessions by its public id; false if the user has no such session. */
  async endOne(user: UserRecord, publicId: string): Promise<boolean> {
    const session = (await this.list(user)).find((candidate) => candidate.publicId === publicId);
    return session !== undefined && (await this.end(session));
  }

  /** Ends every session of the user but `keep`; resolves with how many. */
  async endOthers(user: UserRecord, keep: FoundSession): Promise<number> {
    const others = (await this.store.list(user.id)).filter((record) => record.id !== keep.key);
    const ended = await Promise.all(others.map((record) => this.store.remove(record.id)));
    return ended.filter(Boolean).length;
  }

  /** Ends every session of the user, one stored a moment ago included; how many. */
  endAll(userId: string): MaybePromise<number> {
    return this.store.removeByUser(userId);
  }

  /**
   * The session goes on under a new password: it remembers the new hash's fingerprint. With
   * `expected`, only if it still holds that one (a compare-and-set); false when it did not change.
   */
  async refreshFingerprint(session: FoundSession, fingerprint: string, expected?: string): Promise<boolean> {
    return this.store.touch(session.key, { password_fingerprint: fingerprint }, expected === undefined ? undefined : { password_fingerprint: expected });
  }

  /**
   * Sets `user`'s password hash to `hash` (if it still holds `expectHash`, when given) and ends
   * every session the old one opened but `keep`. `keep` stands under the old hash and the new one
   * while the user record changes, so that no request on it, here or in another instance, is
   * refused meanwhile; then under the new one only. Each step is a compare-and-set on what the
   * step before wrote, so that of two changes at once on one session (a double click) the one
   * that stands also sets its fingerprint last. Null when the user changed or went meanwhile.
   */
  async changePassword(user: UserRecord, hash: string, options: { keep?: FoundSession; expectHash?: string | null } = {}): Promise<{ user: UserRecord; ended: number } | null> {
    const { keep } = options;
    const held = keep?.fingerprint ?? null;
    const during = keep === undefined || held === null ? null : eitherFingerprint(held, passwordFingerprint(user), hashFingerprint(hash));
    if (keep !== undefined && held !== null && during !== null && !(await this.refreshFingerprint(keep, during, held))) return null;
    const expect = options.expectHash === undefined ? undefined : { expect: { _password: options.expectHash } };
    const changed = await this.users.update(user.id, { _password: hash, updated_at: formatTimestamp(this.clock()) }, expect);
    if (changed === null) {
      // Changed or deleted by someone else meanwhile: theirs stands.
      if (keep !== undefined && held !== null && during !== null) await this.refreshFingerprint(keep, held, during);
      return null;
    }
    if (keep === undefined) return { user: changed, ended: await this.endAll(changed.id) };
    await this.refreshFingerprint(keep, passwordFingerprint(changed), during ?? undefined);
    return { user: changed, ended: await this.endOthers(changed, keep) };
  }

  /** Whether a session has ended by time: past the duration since creation, however busy, or idle too long. */
  hasEnded(session: FoundSession): boolean {
    const { duration, idleTimeout } = this.policy;
    if (duration <= 0 && idleTimeout <= 0) return false;
    const now = this.clock();
    // `!(… >= now)`: an unreadable time (NaN) has ended.
    if (duration > 0 && !(session.createdAt + duration * 1000 >= now)) return true;
    return idleTimeout > 0 && !(session.lastUsedAt + idleTimeout * 1000 >= now);
  }

  /** Seconds a session lives at most: the shorter of the limits that are set; 0 when neither is. */
  lifetime(): number {
    const limits = [this.policy.duration, this.policy.idleTimeout].filter((seconds) => seconds > 0);
    return limits.length > 0 ? Math.min(...limits) : 0;
  }

  /** `Max-Age` for the session cookie: the duration, when sessions have one. */
  cookieMaxAge(): number | undefined {
    return this.policy.duration > 0 ? this.policy.duration : undefined;
  }

  /** Removes the sessions past the duration, and those idle past the idle timeout: a call to the store each; how many. */
  async sweep(): Promise<number> {
    const now = this.clock();
    let swept = 0;
    if (this.policy.duration > 0) swept += await this.store.removeCreatedBefore(now - this.policy.duration * 1000);
    if (this.policy.idleTimeout > 0) swept += await this.store.removeUnusedSince(now - this.policy.idleTimeout * 1000);
    return swept;
  }

  /**
   * Whether this use should be recorded: once a minute at most, or a quarter of the idle timeout
   * when that is shorter, so that a session in use never looks idle.
   */
  private useIsDue(session: FoundSession, now: number): boolean {
    const idle = this.policy.idleTimeout;
    const every = idle > 0 ? Math.min(RECORD_USE_EVERY_MS, (idle * 1000) / 4) : RECORD_USE_EVERY_MS;
    return now - session.lastUsedAt >= every;
  }

  /** A found record as a live session; removed if it has ended (refused all the same if that fails). */
  private live(record: UserSessionRecord): MaybePromise<FoundSession | null> {
    const session = foundSession(record);
    if (this.hasEnded(session)) return settled(this.store.remove(record.id), null);
    const now = this.clock();
    if (!this.useIsDue(session, now)) return session;
    // Once a minute at most, the request waits for the record of its use, so that the next one
    // (here or in another instance) sees it. A failed record costs nothing but an earlier idle
    // end; the next use tries again.
    const touched = this.store.touch(record.id, { last_used_at: formatTimestamp(now) });
    if (!(touched instanceof Promise)) {
      session.lastUsedAt = now;
      return session;
    }
    return touched.then(
      () => {
        session.lastUsedAt = now;
        return session;
      },
      () => session,
    );
  }

  private userOf(sessionId: string | null, found: FoundSession): MaybePromise<UserRecord | null> {
    const user = this.users.get(found.userId);
    if (user instanceof Promise) return user.then((stored) => this.standing(sessionId, found, stored));
    return this.standing(sessionId, found, user);
  }

  /**
   * A session stands while its user exists and keeps the password hash the login checked. One
   * that no longer stands ends on sight; if ending it fails, it is refused all the same.
   */
  private standing(sessionId: string | null, found: FoundSession, user: UserRecord | null): MaybePromise<UserRecord | null> {
    if (user !== null && fingerprintStands(found.fingerprint, user)) return user;
    if (user === null) return settled(this.end(found), null);
    return this.standingOnSecondLook(sessionId, found, user);
  }

  /**
   * A password change on this very session makes it stand under the old and the new hash before
   * the user record changes, and under the new one after. A request that read one of the two
   * before those writes and the other after them sees them disagree: before the session is
   * ended, both are read again, the session first.
   */
  private async standingOnSecondLook(sessionId: string | null, found: FoundSession, seen: UserRecord): Promise<UserRecord | null> {
    const again = await this.find(sessionId);
    if (again !== null && again.userId === found.userId) {
      if (fingerprintStands(again.fingerprint, seen)) return seen;
      const user = await this.users.get(found.userId, { fresh: true });
      if (user !== null && fingerprintStands(again.fingerprint, user)) return user;
    }
    await this.end(found);
    return null;
  }
}
