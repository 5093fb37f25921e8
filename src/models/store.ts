/** The record store on JSON files: the original's `.db_<Model>.json`, kept current by a journal. */
import { closeSync, type FSWatcher, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, unlinkSync, watch, writeSync } from "node:fs";
import { join } from "node:path";
import type { BaseRecord } from "./base.ts";
import { FileLock } from "./file-lock.ts";
import { dataFileName, type FileIdentity, identity, isRecordObject, type JournalEntry, leftoverTemporaryFiles, NEWLINE, parseSnapshot, READ_CHUNK, readJournalId, sameFile, syncDirectory, writeSnapshot } from "./json-file-format.ts";
import { hasValues, type ReadOptions, type RecordStore, StoreLoadError, StoreWriteError, UniqueConstraintError, type UpdateOptions } from "./record-store.ts";

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

export interface JsonFileStoreOptions<T> extends StoreTuning {
  model: string;
  dataDir: string;
  /** Fields looked up by value (email, session_id…): kept in a hash index instead of scanned. */
  indexes?: readonly (keyof T & string)[];
  /** Indexed fields that no two records may share (checked on save, so old files still load). */
  unique?: readonly (keyof T & string)[];
}

/** A change waiting for the next append, with the promise it settles. */
type Pending<T> = { reject: (error: Error) => void } & (
  | { op: "put"; record: T; resolve: () => void }
  | { op: "update"; id: string; changes: Partial<T>; expect: Partial<T> | undefined; resolve: (record: T | null) => void }
  | { op: "remove"; id: string; resolve: (removed: boolean) => void }
  | { op: "removeWhere"; attributes: Partial<T>; resolve: (count: number) => void }
);

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
  readonly model: string;
  readonly path: string;
  readonly journalPath: string;
  private readonly dataDir: string;
  private readonly lock: FileLock;
  private readonly compactMinBytes: number;
  private readonly liveFileMaxBytes: number;
  private rewriteTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly unique: readonly (keyof T & string)[];
  private readonly indexedFields: readonly (keyof T & string)[];

  private records = new Map<string, T>();
  /** field → value → id, or a Set of ids when several records share the value. */
  private indexes = new Map<keyof T & string, Map<unknown, string | Set<string>>>();
  private snapshot: FileIdentity | null = null;
  private snapshotBytes = 0;
  /**
   * The id in the journal's first line. Inode numbers are reused as soon as a compacted journal
   * is deleted, so only this tells a new journal from the one already read.
   */
  private journalId: string | null = null;
  /** Bytes of the journal already applied to memory. */
  private journalOffset = 0;

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
    this.path = join(options.dataDir, dataFileName(options.model));
    this.journalPath = `${this.path}.journal`;
    this.lock = new FileLock(`${this.path}.lock`);
    this.compactMinBytes = options.compactMinBytes ?? 1 << 20;
    this.liveFileMaxBytes = options.liveFileMaxBytes ?? 4 << 20;
    this.unique = options.unique ?? [];
    this.indexedFields = [...new Set([...(options.indexes ?? []), ...this.unique])];
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
    // Watching costs a few ms of set-up that start-up need not wait for; every write catches
    // up under the lock anyway, and the watcher's first look covers the gap.
    setImmediate(() => {
      if (store.closed) return;
      store.follow();
      store.refresh();
    });
    return store;
  }

  get(id: string, options?: ReadOptions): T | null {
    if (options?.fresh) this.refresh();
    return this.records.get(id) ?? null;
  }

  async all(): Promise<T[]> {
    return [...this.records.values()];
  }

  async count(): Promise<number> {
    return this.records.size;
  }

  search(attributes: Partial<T>): T[] {
    // The usual search (by email, by session id: once per request) names one indexed field;
    // it is found without building a list of the attributes.
    let fields = 0;
    let index: Map<unknown, string | Set<string>> | undefined;
    let value: unknown;
    for (const field in attributes) {
      fields += 1;
      if (index === undefined && (index = this.indexes.get(field)) !== undefined) value = attributes[field];
    }
    if (index === undefined) return matching(this.records.values(), attributes);
    const ids = index.get(value);
    if (ids === undefined) return [];
    const candidates = typeof ids === "string" ? [this.records.get(ids)!] : [...ids].map((id) => this.records.get(id)!);
    return fields === 1 ? candidates : matching(candidates, attributes);
  }

  async *scan(): AsyncIterable<T> {
    yield* this.records.values();
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
    await this.flushChain;
    // A store that only read leaves the files as they are: reading never writes.
    if (this.wrote && this.journalOffset > 0 && options.compact !== false) {
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
      const { lines, accepted, changes } = this.validate(batch);
      if (lines.length > 0) {
        this.append(lines.join(""));
        this.wrote = true;
      }
      for (const [id, record] of changes) {
        if (record === null) this.delete(id);
        else this.put(record);
      }
      for (const { change, result } of accepted) (change.resolve as (value: unknown) => void)(result);
      if (this.journalOffset > Math.max(this.compactMinBytes, this.snapshotBytes)) {
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
   * Decides each change against memory (caught up with the files, under the lock) plus the
   * changes before it in the batch; memory itself is only changed once the batch is on disk, so
   * no reader sees an unacknowledged write.
   */
  private validate(batch: Pending<T>[]) {
    const changes = new Map<string, T | null>();
    const lines: string[] = [];
    const accepted: { change: Pending<T>; result: unknown }[] = [];
    const current = (id: string) => (changes.has(id) ? changes.get(id)! : (this.records.get(id) ?? null));
    const removeLine = (id: string) => {
      changes.set(id, null);
      lines.push(`${JSON.stringify({ op: "remove", id })}\n`);
    };
    /** Puts the record, or names the unique field it would give a second record. */
    const putLine = (record: T, before: T | null): string | null => {
      const conflict = this.unique.find((field) => (before === null || before[field] !== record[field]) && this.isTaken(field, record, changes));
      if (conflict !== undefined) return conflict;
      changes.set(record.id, record);
      lines.push(`${JSON.stringify({ op: "put", record })}\n`);
      return null;
    };
    const settle = (change: Pending<T>, conflict: string | null, result: unknown) => {
      if (conflict === null) accepted.push({ change, result });
      else change.reject(new UniqueConstraintError(conflict));
    };
    for (const change of batch) {
      switch (change.op) {
        case "put":
          settle(change, putLine(change.record, current(change.record.id)), undefined);
          break;
        case "update": {
          const before = current(change.id);
          if (before === null || (change.expect !== undefined && !hasValues(before, change.expect))) {
            accepted.push({ change, result: null });
            break;
          }
          const record = Object.freeze({ ...before, ...change.changes, id: change.id });
          settle(change, putLine(record, before), record);
          break;
        }
        case "remove": {
          const exists = current(change.id) !== null;
          if (exists) removeLine(change.id);
          accepted.push({ change, result: exists });
          break;
        }
        case "removeWhere": {
          const ids = new Set(this.search(change.attributes).map((record) => record.id));
          // Earlier changes in this batch count as stored.
          for (const [id, changed] of changes) {
            if (changed !== null && hasValues(changed, change.attributes)) ids.add(id);
            else ids.delete(id);
          }
          for (const id of ids) removeLine(id);
          accepted.push({ change, result: ids.size });
          break;
        }
      }
    }
    return { lines, accepted, changes };
  }

  private isTaken(field: keyof T & string, record: T, changes: Map<string, T | null>): boolean {
    const value = record[field];
    if (value === null || value === undefined) return false;
    for (const [id, changed] of changes) {
      if (id !== record.id && changed !== null && changed[field] === value) return true;
    }
    const holders = this.indexes.get(field)!.get(value);
    if (holders === undefined) return false;
    for (const id of typeof holders === "string" ? [holders] : holders) {
      if (id === record.id) continue;
      const changed = changes.get(id);
      if (changed === undefined || (changed !== null && changed[field] === value)) return true;
    }
    return false;
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
      if (this.journalOffset > 0) await this.compact();
    } catch {
      // The journal still holds every change; the next write or the clean stop tries again.
    } finally {
      this.lock.release();
    }
  }

  /** Appends and fsyncs; on failure cuts the journal back so no half-written change survives. */
  private append(text: string): void {
    const fd = openSync(this.journalPath, "a", 0o600);
    try {
      const start = fstatSync(fd).size;
      if (start !== this.journalOffset) {
        // Bytes past what was applied, with the lock held: the torn tail of a writer that died.
        ftruncateSync(fd, this.journalOffset);
      }
      const newJournal = this.journalOffset === 0;
      const journalId = newJournal ? crypto.randomUUID() : this.journalId;
      const bytes = Buffer.from(newJournal ? `${JSON.stringify({ journal: journalId })}\n${text}` : text);
      try {
        let written = 0;
        while (written < bytes.length) written += writeSync(fd, bytes, written);
        fsyncSync(fd);
      } catch (error) {
        try {
          ftruncateSync(fd, this.journalOffset);
        } catch {
          // Replay ignores a torn tail; the next writer cuts it off.
        }
        throw new StoreWriteError(`${this.journalPath}: ${(error as Error).message}`);
      }
      if (newJournal) syncDirectory(this.dataDir);
      this.journalId = journalId;
      this.journalOffset += bytes.length;
    } finally {
      closeSync(fd);
    }
  }

  /** Writes every record to a new snapshot, atomically, then drops the journal it replaces. */
  private async compact(): Promise<void> {
    this.removeLeftoverTemporaryFiles();
    const bytes = await writeSnapshot(this.path, this.records);
    syncDirectory(this.dataDir);
    // A crash here leaves the old journal beside the new snapshot: replaying it again is harmless.
    try {
      unlinkSync(this.journalPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    syncDirectory(this.dataDir);
    this.snapshot = identity(this.path);
    this.snapshotBytes = bytes;
    this.journalId = null;
    this.journalOffset = 0;
  }

  /** Called with the lock held, when no compaction can be running. */
  private removeLeftoverTemporaryFiles(): void {
    for (const name of leftoverTemporaryFiles(this.dataDir, this.model)) {
      try {
        unlinkSync(join(this.dataDir, name));
      } catch {
        // Gone already: compaction goes on without it.
      }
    }
  }

  // --- Reading the files ------------------------------------------------------------------

  /** Reads snapshot and journal from scratch. */
  private reload(): void {
    const records = new Map<string, T>();
    const snapshot = identity(this.path);
    let snapshotBytes = 0;
    if (snapshot) {
      let text: string;
      try {
        text = readFileSync(this.path, "utf8");
      } catch (error) {
        throw new StoreLoadError(`${this.path}: cannot be read (${(error as Error).message})`);
      }
      snapshotBytes = Buffer.byteLength(text);
      for (const record of parseSnapshot<T>(this.path, text)) records.set(record.id, record);
    }
    this.records = records;
    this.snapshot = snapshot;
    this.snapshotBytes = snapshotBytes;
    this.journalId = null;
    this.journalOffset = 0;
    this.rebuildIndexes();
    this.readJournal();
  }

  /** Applies what other processes wrote since we last looked. */
  private catchUp(): void {
    const snapshot = identity(this.path);
    if (!sameFile(snapshot, this.snapshot)) {
      this.reload();
      return;
    }
    this.readJournal();
  }

  /** Applies the complete journal lines past `journalOffset`; a torn last line waits. */
  private readJournal(): void {
    let fd: number;
    try {
      fd = openSync(this.journalPath, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new StoreLoadError(`${this.journalPath}: cannot be read (${(error as Error).message})`);
      if (this.journalOffset > 0) this.reload(); // compacted away by another process
      return;
    }
    try {
      const { size } = fstatSync(fd);
      if (this.journalOffset > 0 && (size < this.journalOffset || readJournalId(fd) !== this.journalId)) {
        // Another process compacted and a new journal took this one's place.
        closeSync(fd);
        fd = -1;
        this.reload();
        return;
      }
      let position = this.journalOffset;
      let carry = Buffer.alloc(0);
      while (position < size) {
        const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - position));
        const read = readSync(fd, chunk, 0, chunk.length, position);
        if (read === 0) break;
        position += read;
        const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
        const lastNewline = data.lastIndexOf(NEWLINE);
        if (lastNewline === -1) {
          carry = Buffer.from(data);
          continue;
        }
        this.applyLines(data.subarray(0, lastNewline + 1).toString("utf8"), this.journalOffset);
        this.journalOffset += lastNewline + 1;
        carry = Buffer.from(data.subarray(lastNewline + 1));
      }
    } finally {
      if (fd !== -1) closeSync(fd);
    }
  }

  private applyLines(text: string, startOffset: number): void {
    let lineStart = 0;
    while (lineStart < text.length) {
      const end = text.indexOf("\n", lineStart);
      const line = text.slice(lineStart, end);
      const firstLine = startOffset === 0 && lineStart === 0;
      lineStart = end + 1;
      if (line.trim() === "") continue;
      let entry: JournalEntry<T>;
      try {
        entry = JSON.parse(line);
      } catch {
        entry = null as never;
      }
      if (!isRecordObject(entry)) {
        throw new StoreLoadError(`${this.journalPath}: corrupt entry near byte ${startOffset + Buffer.byteLength(text.slice(0, end))}`);
      }
      if ("op" in entry && entry.op === "put" && isRecordObject(entry.record) && typeof entry.record.id === "string") {
        this.put(Object.freeze(entry.record));
      } else if ("op" in entry && entry.op === "remove" && typeof entry.id === "string") {
        this.delete(entry.id);
      } else if ("journal" in entry && typeof entry.journal === "string" && firstLine) {
        this.journalId = entry.journal;
      } else {
        throw new StoreLoadError(`${this.journalPath}: unknown entry near byte ${startOffset + Buffer.byteLength(text.slice(0, end))}`);
      }
    }
  }

  /** Reads what other processes wrote, if anything; never throws. */
  private refresh(): void {
    if (this.closed) return;
    try {
      this.catchUp();
    } catch {
      // A file mid-replacement or damaged; the next event, poll or write tries again.
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

  // --- Memory and indexes -----------------------------------------------------------------

  private put(record: T): void {
    const before = this.records.get(record.id);
    if (before) this.unindex(before);
    this.records.set(record.id, record);
    this.index(record);
  }

  private delete(id: string): void {
    const before = this.records.get(id);
    if (!before) return;
    this.unindex(before);
    this.records.delete(id);
  }

  private rebuildIndexes(): void {
    this.indexes = new Map(this.indexedFields.map((field) => [field, new Map()]));
    for (const record of this.records.values()) this.index(record);
  }

  private index(record: T): void {
    for (const [field, index] of this.indexes) {
      const value = record[field];
      const ids = index.get(value);
      if (ids === undefined) index.set(value, record.id);
      else if (typeof ids === "string") {
        if (ids !== record.id) index.set(value, new Set([ids, record.id]));
      } else ids.add(record.id);
    }
  }

  private unindex(record: T): void {
    for (const [field, index] of this.indexes) {
      const value = record[field];
      const ids = index.get(value);
      if (ids === record.id) index.delete(value);
      else if (typeof ids === "object") {
        ids.delete(record.id);
        if (ids.size === 1) index.set(value, ids.values().next().value!);
      }
    }
  }
}

/** The records whose attributes all equal the given ones. */
function matching<T>(records: Iterable<T>, attributes: Partial<T>): T[] {
  const found: T[] = [];
  for (const record of records) if (hasValues(record, attributes)) found.push(record);
  return found;
}
