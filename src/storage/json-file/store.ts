/**
 * The record store on JSON files: the original's `.db_<Model>.json`, kept current by a journal.
 * This file holds the writing (batches, the lock, compaction) and the following of other
 * processes; the format, the journal, the in-memory index and the deciding of a batch have
 * files of their own.
 */
import { type FSWatcher, unlinkSync, watch } from "node:fs";
import { joinPath } from "../../file-paths.ts";
import { beforeLoading } from "../../jit-policy.ts";
import type { BaseRecord } from "../../domain/base.ts";
import { type BatchOptions, type ReadOptions, type RecordStore, StoreWriteError, type UpdateOptions } from "../record-store.ts";
import { decideBatch, type Pending } from "./batch.ts";
import { FileLock } from "./file-lock.ts";
import { dataFileName, type FileIdentity, identity, leftoverTemporaryFiles, readSnapshot, sameFile, syncDirectory, writeSnapshot } from "./format.ts";
import { Journal } from "./journal.ts";
import { MemoryIndex } from "./memory-index.ts";
import type { Folds, RecordTable } from "./record-table.ts";

export interface StoreTuning {
  /** Journal size that triggers compaction, at least; default 1 MiB. */
  compactMinBytes?: number;
  /**
   * Data files up to this size are kept current: rewritten shortly after every change, as the
   * original program rewrites them on every save. Default 4 MiB; 0 turns it off.
   */
  liveFileMaxBytes?: number;
}

/** How long a rewrite of a live data file waits, so that a burst of writes shares one. */
export const LIVE_REWRITE_DELAY_MS = 250;

/** How long after opening a store starts watching its files for other processes' changes. */
const FOLLOW_DELAY_MS = 50;

/** After a failed read of another process's change: the first look again, and the slowest. */
const FIRST_RETRY_MS = 20;
const LAST_RETRY_MS = 2000;

export interface JsonFileStoreOptions<T extends BaseRecord> extends StoreTuning {
  model: string;
  dataDir: string;
  /** Fields looked up by value (email, session_id…): kept in a hash index instead of scanned. */
  indexes?: readonly (keyof T & string)[];
  /** Indexed fields that no two records may share (checked on save, so old files still load). */
  unique?: readonly (keyof T & string)[];
  /** Fields compared by a fold of their values, in searches and unique checks (emails, caseless). */
  folds?: Folds<T>;
  /** Where the records are kept; by default plain objects indexed on `indexes` and `unique`. */
  table?: RecordTable<T>;
}

/**
 * Records of one model in `DATA_DIR/.db_<Model>.json`, the original program's format: one JSON
 * object, id → record. Every record is in memory. A write appends one line per change to
 * `.db_<Model>.json.journal` and fsyncs it before it is acknowledged, so its cost does not
 * grow with the data; writes arriving meanwhile share the next append. When the journal grows
 * past the snapshot, and at close, it is folded into a new snapshot (written atomically).
 *
 * Several processes may share the folder: appends and compactions happen under a lock file,
 * and each process reads what the others appended (on a file-change event, before each of its
 * own writes, and by a slow poll), reloading everything when another process compacted.
 */
export class JsonFileStore<T extends BaseRecord> implements RecordStore<T> {
  readonly backend = "json files";
  readonly model: string;
  readonly path: string;
  private readonly dataDir: string;
  private readonly lock: FileLock;
  private readonly journal: Journal;
  private readonly compactMinBytes: number;
  private readonly liveFileMaxBytes: number;
  private rewriteTimer: ReturnType<typeof setTimeout> | null = null;
  /** A look again after a failed read of another process's change, and its growing delay. */
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelayMs = 0;
  private readonly unique: readonly (keyof T & string)[];
  private readonly memory: RecordTable<T>;
  private snapshot: FileIdentity | null = null;
  private snapshotBytes = 0;

  private pending: Pending<T>[] = [];
  /** Whether this store appended anything, so that closing it has something of its own to fold in. */
  private wrote = false;
  private flushChain: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private watcher: FSWatcher | null = null;
  private poll: ReturnType<typeof setInterval> | null = null;
  private closed = false;

  private constructor(options: JsonFileStoreOptions<T>) {
    this.model = options.model;
    this.dataDir = options.dataDir;
    this.path = joinPath(options.dataDir, dataFileName(options.model));
    this.journal = new Journal(`${this.path}.journal`, options.dataDir);
    this.lock = new FileLock(`${this.path}.lock`);
    this.compactMinBytes = options.compactMinBytes ?? 1 << 20;
    this.liveFileMaxBytes = options.liveFileMaxBytes ?? 4 << 20;
    this.unique = options.unique ?? [];
    this.memory = options.table ?? new MemoryIndex<T>([...new Set([...(options.indexes ?? []), ...this.unique])], options.folds);
  }

  /** Loads snapshot and journal; a file that is not what it should be throws StoreLoadError. */
  static open<T extends BaseRecord>(options: JsonFileStoreOptions<T>): JsonFileStore<T> {
    const store = new JsonFileStore<T>(options);
    store.reload();
    // A compaction that a crash interrupted left its temporary file; removed only while no other
    // process could be compacting (it would be that one's file), and never by looking alone.
    if (leftoverTemporaryFiles(options.dataDir, options.model).length > 0 && store.lock.tryAcquire()) {
      try {
        store.removeLeftoverTemporaryFiles();
      } finally {
        store.lock.release();
      }
    }
    // Watching costs a few ms of set-up that a starting server's first answers need not wait
    // for; every write catches up under the lock anyway, and the watcher's first look covers the
    // gap. Unref'd: a command that is done exits without it.
    setTimeout(() => {
      if (store.closed) return;
      store.follow();
      store.refresh();
    }, FOLLOW_DELAY_MS).unref();
    return store;
  }

  get journalPath(): string {
    return this.journal.path;
  }

  get(id: string, options?: ReadOptions): T | null {
    if (options?.fresh) this.refresh();
    return this.memory.get(id);
  }

  async all(): Promise<T[]> {
    return [...this.memory.values()];
  }

  count(): number {
    return this.memory.size;
  }

  /** Over the live records: a change while a listing is under way shows in the batches still to come. */
  async *batches({ size, offset = 0, limit = Number.POSITIVE_INFINITY }: BatchOptions): AsyncIterable<T[]> {
    let skipped = 0;
    let given = 0;
    let batch: T[] = [];
    for (const record of this.memory.values()) {
      if (skipped < offset) {
        skipped += 1;
        continue;
      }
      if (given >= limit) break;
      batch.push(record);
      given += 1;
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  search(attributes: Partial<T>, options?: ReadOptions): T[] {
    if (options?.fresh) this.refresh();
    return this.memory.search(attributes);
  }

  /** Every record, in the order they were first stored; stop early by breaking. */
  values(): IterableIterator<T> {
    return this.memory.values();
  }

  save(record: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.enqueue({ op: "put", record: Object.freeze({ ...record }), resolve, reject });
    });
  }

  update(id: string, changes: Partial<T>, options: UpdateOptions<T> = {}): Promise<T | null> {
    return new Promise((resolve, reject) => {
      this.enqueue({ op: "update", id, changes: { ...changes }, expect: options.expect, resolve, reject });
    });
  }

  remove(id: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.enqueue({ op: "remove", id, resolve, reject });
    });
  }

  removeWhere(attributes: Partial<T>): Promise<number> {
    return new Promise((resolve, reject) => {
      this.enqueue({ op: "removeWhere", attributes: { ...attributes }, resolve, reject });
    });
  }

  async close(options: { compact?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    if (this.rewriteTimer) clearTimeout(this.rewriteTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.flushChain;
    // A store that only read leaves the files as they are: reading never writes.
    if (this.wrote && this.journal.offset > 0 && options.compact !== false) {
      // Leave one complete snapshot behind, so the original program sees every change.
      try {
        await this.lock.acquire();
        try {
          this.catchUp();
          await this.compact();
        } finally {
          this.lock.release();
        }
      } catch {
        // The journal still holds every change; the next start replays it.
      }
    }
    this.lock.close();
  }

  // --- Writing --------------------------------------------------------------------------

  private enqueue(change: Pending<T>): void {
    if (this.closed) {
      change.reject(new StoreWriteError(`${this.path}: the store is closed`));
      return;
    }
    this.pending.push(change);
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.flushChain = this.flushChain.then(() => this.flush());
  }

  /** One append for every change queued so far; they succeed or fail together. */
  private async flush(): Promise<void> {
    this.flushQueued = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.lock.acquire();
    } catch (error) {
      for (const change of batch) change.reject(new StoreWriteError((error as Error).message));
      return;
    }
    try {
      this.catchUp();
      const { lines, accepted, changes } = decideBatch(batch, this.memory, this.unique);
      if (lines.length > 0) {
        this.journal.append(lines.join(""));
        this.wrote = true;
      }
      for (const [id, record] of changes) {
        if (record === null) this.memory.delete(id);
        else this.memory.put(record);
      }
      for (const { change, result } of accepted) (change.resolve as (value: unknown) => void)(result);
      if (this.journal.offset > Math.max(this.compactMinBytes, this.snapshotBytes)) {
        await this.compact().catch(() => {});
      } else if (lines.length > 0 && this.liveFileMaxBytes > 0 && this.snapshotBytes <= this.liveFileMaxBytes) {
        this.scheduleRewrite();
      }
    } catch (error) {
      const failure = error instanceof StoreWriteError ? error : new StoreWriteError(`${this.path}: ${(error as Error).message}`);
      for (const change of batch) change.reject(failure);
    } finally {
      this.lock.release();
    }
  }

  /**
   * Brings a small data file up to date soon after a write, so that people and the original
   * program reading it see every acknowledged change. The journal already made the change
   * durable; this only folds it in.
   */
  private scheduleRewrite(): void {
    if (this.rewriteTimer !== null || this.closed) return;
    this.rewriteTimer = setTimeout(() => {
      this.rewriteTimer = null;
      this.flushChain = this.flushChain.then(() => this.rewrite());
    }, LIVE_REWRITE_DELAY_MS);
  }

  private async rewrite(): Promise<void> {
    if (this.closed) return;
    try {
      await this.lock.acquire();
    } catch {
      return; // Another process holds the folder; its own writes keep the file current.
    }
    try {
      this.catchUp();
      if (this.journal.offset > 0) await this.compact();
    } catch {
      // The journal still holds every change; the next write or the clean stop tries again.
    } finally {
      this.lock.release();
    }
  }

  /** Writes every record to a new snapshot, atomically, then drops the journal it replaces. */
  private async compact(): Promise<void> {
    this.removeLeftoverTemporaryFiles();
    const bytes = await writeSnapshot(this.path, this.memory.values());
    syncDirectory(this.dataDir);
    // A crash here leaves the old journal beside the new snapshot: replaying it again is harmless.
    this.journal.remove();
    syncDirectory(this.dataDir);
    this.snapshot = identity(this.path);
    this.snapshotBytes = bytes;
  }

  /** Called with the lock held, when no compaction can be running. */
  private removeLeftoverTemporaryFiles(): void {
    for (const name of leftoverTemporaryFiles(this.dataDir, this.model)) {
      try {
        unlinkSync(joinPath(this.dataDir, name));
      } catch {
        // Gone already: compaction goes on without it.
      }
    }
  }

  // --- Reading the files ------------------------------------------------------------------

  /** Reads snapshot and journal from scratch. */
  private reload(): void {
    const snapshot = identity(this.path);
    if (snapshot !== null) beforeLoading(snapshot.size);
    if (snapshot) this.snapshotBytes = readSnapshot(this.path, this.memory);
    else {
      this.memory.clear();
      this.snapshotBytes = 0;
    }
    this.snapshot = snapshot;
    this.journal.reset();
    this.readJournal();
  }

  /** Applies what other processes wrote since we last looked. */
  private catchUp(): void {
    if (!sameFile(identity(this.path), this.snapshot)) this.reload();
    else this.readJournal();
  }

  private readJournal(): void {
    const outcome = this.journal.readNew<T>((change) => {
      if (change.op === "put") this.memory.put(change.record);
      else this.memory.delete(change.id);
    });
    // Another process compacted: its snapshot holds what the old journal did.
    if (outcome === "replaced") this.reload();
  }

  /** Reads what other processes wrote, if anything; never throws. */
  private refresh(): void {
    if (this.closed) return;
    try {
      this.catchUp();
      this.retryDelayMs = 0;
    } catch {
      // A file mid-write (the original program rewrites its file in place) or damaged: look
      // again soon, backing off, rather than wait for the next event or the slow poll.
      this.retryDelayMs = Math.min(Math.max(FIRST_RETRY_MS, this.retryDelayMs * 2), LAST_RETRY_MS);
      if (this.retryTimer === null) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.refresh();
        }, this.retryDelayMs);
        this.retryTimer.unref();
      }
    }
  }

  /** Notices other processes' writes without a system call on every read. */
  private follow(): void {
    const prefix = dataFileName(this.model);
    const refresh = () => this.refresh();
    try {
      this.watcher = watch(this.dataDir, { persistent: false }, (_event, filename) => {
        if (filename === null || String(filename).startsWith(prefix)) refresh();
      });
      this.watcher.on("error", () => {});
    } catch {
      this.watcher = null;
    }
    this.poll = setInterval(refresh, this.watcher ? 5000 : 500);
    this.poll.unref();
  }
}
