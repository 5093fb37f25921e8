/**
 * The stored sessions of session_db_auth, behind an interface shaped around what sessions need:
 * create, find by key, list, record a use, remove one, remove a user's, remove the expired
 * (by creation or by last use), count. Memory, the JSON files, PostgreSQL and Redis each
 * implement it (memory/, json-file/, postgres/, redis/); memory answers at once.
 */
import type { MaybePromise } from "../maybe-promise.ts";
import type { CloseOptions } from "./record-store.ts";
import type { SessionChanges, UserSessionRecord } from "../domain/user-session.ts";

export interface SessionStore {
  /** Where the sessions live, for the start-up line: "json files", "postgresql", "redis". */
  readonly backend: string;
  /** Stores a session (replacing one with the same id); resolves once it is durable. */
  create(session: UserSessionRecord): Promise<void>;
  /** The session stored under a key (the SHA-256 of its cookie value), or null. */
  findByKey(key: string): MaybePromise<UserSessionRecord | null>;
  /** Every stored session, or every session of one user, oldest first. */
  list(userId?: string): Promise<UserSessionRecord[]>;
  /**
   * Changes what a session's use changes (last use, password fingerprint); false if there is no
   * such session, or if it no longer holds the values `expect` names (a compare-and-set: null
   * expects the field absent).
   */
  touch(id: string, changes: SessionChanges, expect?: SessionChanges): MaybePromise<boolean>;
  /** Resolves true once the session with this record id is removed; false if there was none. */
  remove(id: string): MaybePromise<boolean>;
  /**
   * Removes every session of a user as stored when the removal runs (one another process
   * stored a moment ago included); resolves with how many.
   */
  removeByUser(userId: string): MaybePromise<number>;
  /** Removes the sessions created before `moment` (epoch ms; see `createdBefore`); resolves with how many. */
  removeCreatedBefore(moment: number): Promise<number>;
  /** Removes the sessions last used before `moment` (see `unusedSince`); resolves with how many. */
  removeUnusedSince(moment: number): Promise<number>;
  count(): MaybePromise<number>;
  close(options?: CloseOptions): Promise<void>;
}
