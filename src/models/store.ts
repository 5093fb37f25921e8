/**
 * The record store: the original's `save`, `remove`, `count`, `all`, `get` and `search`
 * behind one narrow interface, so that other backends can stand in for the JSON files.
 */
import { closeSync, fsyncSync, openSync, readFileSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { BaseRecord } from "./base.ts";

export interface RecordStore<T extends BaseRecord> {
  readonly model: string;
  get(id: string): Promise<T | null>;
  all(): Promise<T[]>;
  count(): Promise<number>;
  /** Every record whose attributes all equal the given ones (all records for `{}`). */
  search(attributes: Partial<T>): Promise<T[]>;
  /** Inserts or replaces by id; resolves once the change is on disk. Rejects with UniqueConstraintError. */
  save(record: T): Promise<void>;
  /** Resolves true once the removal is on disk, false if there was no such record. */
  remove(id: string): Promise<boolean>;
  /** Waits for pending writes. */
  close(): Promise<void>;
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

/** A write that did not reach the disk; the request that made it gets a 500 and memory is rolled back. */
export class StoreWriteError extends Error {
  override name = "StoreWriteError";
}

export function dataFileName(model: string): string {
  return `.db_${model}.json`;
}

interface Undo<T> {
  id: string;
  before: T | undefined;
  after: T | undefined;
}

interface Batch<T> {
  undos: Undo<T>[];
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface JsonFileStoreOptions<T> {
  model: string;
  dataDir: string;
  /** Fields looked up by value (email, session_id…): kept in a hash index instead of scanned. */
  indexes?: readonly (keyof T & string)[];
  /** Indexed fields that no two records may share (checked on save, so old files still load). */
  unique?: readonly (keyof T & string)[];
}

/**
 * Records of one model in `DATA_DIR/.db_<Model>.json`, the original program's format: one JSON
 * object, id → record. Memory holds every record; each write replaces the file atomically
 * (temp file, fsync, rename, fsync of the folder) and writes arriving meanwhile share the next one.
 */
export class JsonFileStore<T extends BaseRecord> implements RecordStore<T> {
  readonly model: string;
  readonly path: string;
  private readonly dataDir: string;
  private readonly records = new Map<string, T>();
  private readonly indexes = new Map<keyof T & string, Map<unknown, Set<string>>>();
  private readonly unique: readonly (keyof T & string)[];
  private queued: Batch<T> | null = null;
  private flushChain: Promise<void> = Promise.resolve();
  private tempCounter = 0;

  private constructor(options: JsonFileStoreOptions<T>) {
    this.model = options.model;
    this.dataDir = options.dataDir;
    this.path = join(options.dataDir, dataFileName(options.model));
    this.unique = options.unique ?? [];
    for (const field of [...(options.indexes ?? []), ...this.unique]) this.indexes.set(field, new Map());
  }

  /** Loads the file if it exists; a file that is not a JSON object of records throws StoreLoadError. */
  static open<T extends BaseRecord>(options: JsonFileStoreOptions<T>): JsonFileStore<T> {
    const store = new JsonFileStore<T>(options);
    store.load();
    return store;
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new StoreLoadError(`${this.path}: cannot be read (${(error as Error).message})`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new StoreLoadError(`${this.path}: not valid JSON (${(error as Error).message})`);
    }
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new StoreLoadError(`${this.path}: expected a JSON object of records (id → record)`);
    }
    for (const [key, value] of Object.entries(data)) {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new StoreLoadError(`${this.path}: record ${JSON.stringify(key)} is not a JSON object`);
      }
      const record = { ...value, id: typeof value.id === "string" ? value.id : key } as T;
      this.put(Object.freeze(record));
    }
  }

  async get(id: string): Promise<T | null> {
    return this.records.get(id) ?? null;
  }

  async all(): Promise<T[]> {
    return [...this.records.values()];
  }

  async count(): Promise<number> {
    return this.records.size;
  }

  async search(attributes: Partial<T>): Promise<T[]> {
    const entries = Object.entries(attributes) as [keyof T & string, unknown][];
    const indexed = entries.find(([field]) => this.indexes.has(field));
    let candidates: Iterable<T>;
    if (indexed) {
      const ids = this.indexes.get(indexed[0])!.get(indexed[1]);
      if (!ids) return [];
      candidates = [...ids].map((id) => this.records.get(id)!);
    } else {
      candidates = this.records.values();
    }
    const found: T[] = [];
    for (const record of candidates) {
      if (entries.every(([field, value]) => record[field] === value)) found.push(record);
    }
    return found;
  }

  save(record: T): Promise<void> {
    const frozen = Object.freeze({ ...record });
    for (const field of this.unique) {
      const holders = this.indexes.get(field)!.get(frozen[field]);
      if (frozen[field] != null && holders && [...holders].some((id) => id !== frozen.id)) {
        return Promise.reject(new UniqueConstraintError(field));
      }
    }
    const before = this.records.get(frozen.id);
    if (before) this.unindex(before);
    this.put(frozen);
    return this.enqueue({ id: frozen.id, before, after: frozen });
  }

  async remove(id: string): Promise<boolean> {
    const before = this.records.get(id);
    if (!before) return false;
    this.unindex(before);
    this.records.delete(id);
    await this.enqueue({ id, before, after: undefined });
    return true;
  }

  async close(): Promise<void> {
    await this.flushChain;
  }

  private put(record: T): void {
    this.records.set(record.id, record);
    for (const [field, index] of this.indexes) {
      const value = record[field];
      let ids = index.get(value);
      if (!ids) index.set(value, (ids = new Set()));
      ids.add(record.id);
    }
  }

  private unindex(record: T): void {
    for (const [field, index] of this.indexes) {
      const ids = index.get(record[field]);
      ids?.delete(record.id);
      if (ids?.size === 0) index.delete(record[field]);
    }
  }

  /** Joins the batch waiting for the next flush, starting one if none is waiting. */
  private enqueue(undo: Undo<T>): Promise<void> {
    let batch = this.queued;
    if (!batch) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      batch = { undos: [], done, resolve, reject };
      this.queued = batch;
      const flushing = batch;
      this.flushChain = this.flushChain.then(() => this.flush(flushing));
    }
    batch.undos.push(undo);
    return batch.done;
  }

  private async flush(batch: Batch<T>): Promise<void> {
    // From here on, new writes form the next batch.
    if (this.queued === batch) this.queued = null;
    try {
      await this.writeSnapshot();
      batch.resolve();
    } catch (error) {
      this.rollBack(batch.undos);
      batch.reject(new StoreWriteError(`${this.path}: ${(error as Error).message}`));
    }
  }

  /** Restores what this batch changed, except records that a later write has changed again. */
  private rollBack(undos: Undo<T>[]): void {
    for (let i = undos.length - 1; i >= 0; i--) {
      const { id, before, after } = undos[i]!;
      const current = this.records.get(id);
      if (current !== after) continue;
      if (current) {
        this.unindex(current);
        this.records.delete(id);
      }
      if (before) this.put(before);
    }
  }

  private async writeSnapshot(): Promise<void> {
    const text = JSON.stringify(Object.fromEntries(this.records));
    const temp = `${this.path}.${process.pid}.${++this.tempCounter}.tmp`;
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => {});
      await unlink(temp).catch(() => {});
      throw error;
    }
    await handle.close();
    try {
      await rename(temp, this.path);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw error;
    }
    syncDirectory(this.dataDir);
  }
}

/** Makes a rename durable: the folder entry itself must reach the disk. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
