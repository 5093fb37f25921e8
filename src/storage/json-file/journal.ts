/**
 * The journal beside a data file, `.db_<Model>.json.journal`: a header line naming the journal,
 * then one JSON line per change. Appends are fsynced before they count; reading applies the
 * complete lines past what was already read and leaves a torn last line for later.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, statSync, unlinkSync, writeSync } from "node:fs";
import { beforeLoading } from "../../jit-policy.ts";
import { StoreLoadError, StoreWriteError } from "../record-store.ts";
import { isRecordObject, NEWLINE, READ_CHUNK, readJournalId, syncDirectory } from "./format.ts";

/** One change read from a journal. */
export type JournalChange<T> = { op: "put"; record: T } | { op: "remove"; id: string };

/** The line that records a change. */
export function journalLine<T>(change: JournalChange<T>): string {
  return `${JSON.stringify(change.op === "put" ? { op: "put", record: change.record } : { op: "remove", id: change.id })}\n`;
}

/**
 * The changes in complete journal lines that start `startOffset` bytes into the journal, and the
 * journal's id if its header is among them. Throws StoreLoadError, naming the byte, for a line
 * that is not a change.
 */
export function parseJournalText<T>(path: string, text: string, startOffset: number): { journalId: string | null; changes: JournalChange<T>[] } {
  const changes: JournalChange<T>[] = [];
  let journalId: string | null = null;
  let lineStart = 0;
  while (lineStart < text.length) {
    const end = text.indexOf("\n", lineStart);
    const line = text.slice(lineStart, end === -1 ? text.length : end);
    const firstLine = startOffset === 0 && lineStart === 0;
    const at = () => startOffset + Buffer.byteLength(text.slice(0, end === -1 ? text.length : end));
    lineStart = end === -1 ? text.length : end + 1;
    if (line.trim() === "") continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = null;
    }
    if (!isRecordObject(entry)) throw new StoreLoadError(`${path}: corrupt entry near byte ${at()}`);
    if (entry.op === "put" && isRecordObject(entry.record) && typeof entry.record.id === "string") {
      changes.push({ op: "put", record: Object.freeze(entry.record) as T });
    } else if (entry.op === "remove" && typeof entry.id === "string") {
      changes.push({ op: "remove", id: entry.id });
    } else if (typeof entry.journal === "string" && firstLine) {
      journalId = entry.journal;
    } else {
      throw new StoreLoadError(`${path}: unknown entry near byte ${at()}`);
    }
  }
  return { journalId, changes };
}

/** What reading found: new lines applied, or a journal that is not the one read so far. */
export type ReadOutcome = "read" | "replaced";

export class Journal {
  /**
   * The id in the journal's first line. Inode numbers are reused as soon as a compacted journal
   * is deleted, so only this tells a new journal from the one already read.
   */
  private id: string | null = null;
  /** Bytes of the journal already applied to memory. */
  private read = 0;

  constructor(
    readonly path: string,
    private readonly dataDir: string,
  ) {}

  /** Bytes applied so far; 0 when there is no journal (or none read yet). */
  get offset(): number {
    return this.read;
  }

  /** Forgets what was read: after the data file was read from scratch, or the journal folded in. */
  reset(): void {
    this.id = null;
    this.read = 0;
  }

  /** Appends and fsyncs, with the lock held; on failure cuts the journal back so no half-written change survives. */
  append(text: string): void {
    const fd = openSync(this.path, "a", 0o600);
    try {
      const start = fstatSync(fd).size;
      if (start !== this.read) {
        // Bytes past what was applied, with the lock held: the torn tail of a writer that died.
        ftruncateSync(fd, this.read);
      }
      const newJournal = this.read === 0;
      const id = newJournal ? crypto.randomUUID() : this.id;
      const bytes = Buffer.from(newJournal ? `${JSON.stringify({ journal: id })}\n${text}` : text);
      try {
        let written = 0;
        while (written < bytes.length) written += writeSync(fd, bytes, written);
        fsyncSync(fd);
      } catch (error) {
        try {
          ftruncateSync(fd, this.read);
        } catch {
          // Replay ignores a torn tail; the next writer cuts it off.
        }
        throw new StoreWriteError(`${this.path}: ${(error as Error).message}`);
      }
      if (newJournal) syncDirectory(this.dataDir);
      this.id = id;
      this.read += bytes.length;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Applies the complete lines past what was read. "replaced" when the journal read so far is
   * gone or another took its place (another process compacted): the caller reads everything again.
   */
  readNew<T>(apply: (change: JournalChange<T>) => void): ReadOutcome {
    // No journal known yet, and usually none there (at start-up, after a compaction): asked
    // without the cost of an error.
    if (this.read === 0 && statSync(this.path, { throwIfNoEntry: false }) === undefined) return "read";
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new StoreLoadError(`${this.path}: cannot be read (${(error as Error).message})`);
      return this.read > 0 ? "replaced" : "read";
    }
    try {
      const { size } = fstatSync(fd);
      if (this.read > 0 && (size < this.read || readJournalId(fd) !== this.id)) return "replaced";
      beforeLoading(size - this.read);
      let position = this.read;
      let carry = Buffer.alloc(0);
      while (position < size) {
        const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - position));
        const count = readSync(fd, chunk, 0, chunk.length, position);
        if (count === 0) break;
        position += count;
        const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, count)]) : chunk.subarray(0, count);
        const lastNewline = data.lastIndexOf(NEWLINE);
        if (lastNewline === -1) {
          carry = Buffer.from(data);
          continue;
        }
        const { journalId, changes } = parseJournalText<T>(this.path, data.subarray(0, lastNewline + 1).toString("utf8"), this.read);
        if (journalId !== null) this.id = journalId;
        for (const change of changes) apply(change);
        this.read += lastNewline + 1;
        carry = Buffer.from(data.subarray(lastNewline + 1));
      }
      return "read";
    } finally {
      closeSync(fd);
    }
  }

  /** Deletes the journal once a snapshot holds everything in it. */
  remove(): void {
    try {
      unlinkSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    this.reset();
  }
}
