/**
 * The record store of users: the original's `save`, `remove`, `count`, `all`, `get` and
 * `search` behind one narrow interface, so that PostgreSQL can stand in for the JSON files, plus
 * the writes that change only what they name (`update`, `removeWhere`); and the errors every
 * store shares, sessions' included (session-store.ts).
 */
import type { BaseRecord } from "../domain/base.ts";
import type { MaybePromise } from "../maybe-promise.ts";

/**
 * A value now, or later. Stores that hold every record in memory answer lookups at once; a
 * request that needs no waiting is then served without a promise, which costs more than the
 * lookup. Callers check `instanceof Promise` once, through `andThen`.
 */
export interface ReadOptions {
  /**
   * Include what other processes wrote up to this moment (the JSON files read their journal
   * first). Ordinary reads may lag another process's writes by a file-change event.
   */
  fresh?: boolean;
}

export interface BatchOptions {
  size: number;
  offset?: number;
  limit?: number;
}

export interface UpdateOptions<T> {
  /** Compare-and-set: the update happens only while the stored record still has these values. */
  expect?: Partial<T>;
}

export interface CloseOptions {
  /**
   * `false` leaves the JSON files' journal as it is (a short-lived command on a large store);
   * the default folds in what this store wrote.
   */
  compact?: boolean;
}

export interface RecordStore<T extends BaseRecord> {
  /** Where the records live, for the start-up line: "json files", "postgresql". */
  readonly backend: string;
  readonly model: string;
  get(id: string, options?: ReadOptions): MaybePromise<T | null>;
  all(): Promise<T[]>;
  /**
   * The records in the order `all` gives them, `size` at a time, from `offset`, at most `limit`
   * of them: a listing of any length holds one batch in memory.
   */
  batches(options: BatchOptions): AsyncIterable<T[]>;
  count(): MaybePromise<number>;
  /** Every record whose attributes all equal the given ones (all records for `{}`). */
  search(attributes: Partial<T>, options?: ReadOptions): MaybePromise<T[]>;
  /**
   * Inserts or replaces by id; resolves once the change is on disk. Rejects with
   * UniqueConstraintError. For new records: a record read earlier is changed with `update`.
   */
  save(record: T): Promise<void>;
  /**
   * Changes the named fields of the stored record and resolves with the record as stored, or
   * null when there is no such record (it is never brought back) or `expect` no longer holds.
   * A unique field is checked only when the update changes it.
   */
  update(id: string, changes: Partial<T>, options?: UpdateOptions<T>): Promise<T | null>;
  /** Resolves true once the removal is on disk, false if there was no such record. */
  remove(id: string): Promise<boolean>;
  /**
   * Removes every record with these attributes as stored when the removal runs (a record
   * another process added a moment ago included); resolves with how many.
   */
  removeWhere(attributes: Partial<T>): Promise<number>;
  /** Waits for pending writes and releases files and connections. */
  close(options?: CloseOptions): Promise<void>;
}

/** A data file that cannot be used; start-up stops with this message rather than overwrite it. */
export class StoreLoadError extends Error {
  override name = "StoreLoadError";
}

/** A save that would give a second record the same value of a unique field. */
export class UniqueConstraintError extends Error {
  override name = "UniqueConstraintError";
  constructor(readonly field: string) {
    super(`${field} already exists`);
  }
}

/** The data store (PostgreSQL, Redis) cannot be reached; the request gets a 503 and may be retried. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/** A write that did not reach the disk; the request that made it gets a 500 and nothing changed. */
export class StoreWriteError extends Error {
  override name = "StoreWriteError";
}

/** Whether a record has every one of these values. */
export function hasValues<T>(record: T, attributes: Partial<T>): boolean {
  for (const field in attributes) {
    if (record[field] !== attributes[field]) return false;
  }
  return true;
}
