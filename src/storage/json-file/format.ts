/**
 * The JSON files' format on disk: the original program's data file (one object, id → record),
 * the journal's header line, and the atomic replacement of a data file.
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import type { BaseRecord } from "../../domain/base.ts";
import { StoreLoadError } from "../record-store.ts";
import type { RecordTable } from "./record-table.ts";

export function dataFileName(model: string): string {
  return `.db_${model}.json`;
}

/** Identity of a file, to notice that another process replaced it. */
export interface FileIdentity {
  ino: number;
  size: number;
  mtimeMs: number;
}

export const NEWLINE = 0x0a;
export const READ_CHUNK = 1 << 20;

/** Temporary data files of compactions that a crash interrupted (or that run now, without the lock). */
export function leftoverTemporaryFiles(dataDir: string, model: string): string[] {
  const prefix = `${dataFileName(model)}.`;
  try {
    return readdirSync(dataDir).filter((name) => name.startsWith(prefix) && name.endsWith(".tmp"));
  } catch {
    return [];
  }
}

/** Writes the records to a temporary file, fsyncs it and renames it over `path`; resolves with its size. */
export async function writeSnapshot<T extends BaseRecord>(path: string, records: Iterable<T>): Promise<number> {
  // Required here, not imported: loading node:fs/promises costs a start-up about 1 ms.
  const { open, rename, unlink } = require("node:fs/promises") as typeof import("node:fs/promises");
  const temp = `${path}.${process.pid}.${crypto.randomUUID()}.tmp`;
  const handle = await open(temp, "wx", 0o600);
  let bytes = 0;
  try {
    let chunk = "{";
    let first = true;
    for (const record of records) {
      chunk += `${first ? "" : ", "}${JSON.stringify(record.id)}: ${JSON.stringify(record)}`;
      first = false;
      if (chunk.length >= READ_CHUNK) {
        bytes += (await handle.write(chunk)).bytesWritten;
        chunk = "";
      }
    }
    bytes += (await handle.write(`${chunk}}`)).bytesWritten;
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
  await handle.close();
  await rename(temp, path).catch(async (error) => {
    await unlink(temp).catch(() => {});
    throw error;
  });
  return bytes;
}

/** The id in a journal's first line, or null. */
export function readJournalId(fd: number): string | null {
  const head = Buffer.alloc(128);
  const read = readSync(fd, head, 0, head.length, 0);
  const text = head.subarray(0, read).toString("utf8");
  const newline = text.indexOf("\n");
  if (newline === -1) return null;
  try {
    const header = JSON.parse(text.slice(0, newline));
    return typeof header?.journal === "string" ? header.journal : null;
  } catch {
    return null;
  }
}

export function parseSnapshot<T extends BaseRecord>(path: string, text: string): T[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StoreLoadError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (!isRecordObject(data)) throw new StoreLoadError(`${path}: expected a JSON object of records (id → record)`);
  // Keys and values listed natively, then an indexed loop: cheaper than for…in while start-up's
  // code is not yet compiled.
  const keys = Object.keys(data);
  const values = Object.values(data);
  const records: T[] = new Array(keys.length);
  try {
    for (let i = 0; i < keys.length; i++) records[i] = recordOfSnapshot<T>(keys[i]!, values[i]);
  } catch (error) {
    throw new StoreLoadError(`${path}: ${(error as Error).message}`);
  }
  return records;
}

/** The record stored under `key`, frozen; one without an id of its own takes the key. */
export function recordOfSnapshot<T extends BaseRecord>(key: string, value: unknown): T {
  if (!isRecordObject(value)) throw new Error(`record ${JSON.stringify(key)} is not a JSON object`);
  if (typeof value.id !== "string") value.id = key;
  return Object.freeze(value) as T;
}

/**
 * Fills `table` with the data file at `path` (emptied first); the file's size in bytes. A table
 * that takes scanned fields gets the file scanned in chunks; a file the scan cannot read, and
 * any file for other tables, is parsed whole (which names what is wrong with a damaged one).
 */
export function readSnapshot<T extends BaseRecord>(path: string, table: RecordTable<T>): number {
  table.clear();
  if (table.scanSink) {
    try {
      // Loaded when first needed: only packed sessions are scanned, and users never are.
      const { scanSnapshot } = require("./snapshot-scanner.ts") as typeof import("./snapshot-scanner.ts");
      const scanned = scanSnapshot(path, table.scanSink);
      if (scanned !== null) return scanned;
    } catch (error) {
      if (error instanceof StoreLoadError) throw error;
      // A record the scan handed over whole was not one (the whole parse names it), or the table
      // cannot take it one record at a time (a key that is not its record's id).
    }
    table.clear();
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new StoreLoadError(`${path}: cannot be read (${(error as Error).message})`);
  }
  for (const record of parseSnapshot<T>(path, text)) table.put(record);
  return Buffer.byteLength(text);
}

export function isRecordObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function identity(path: string): FileIdentity | null {
  try {
    // A store's file is often absent (no passkeys yet): told without an error's cost.
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats === undefined) return null;
    const { ino, size, mtimeMs } = stats;
    return { ino, size, mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new StoreLoadError(`${path}: cannot be read (${(error as Error).message})`);
  }
}

export function sameFile(a: FileIdentity | null, b: FileIdentity | null): boolean {
  if (a === null || b === null) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** Makes a rename or a new file durable: the folder entry itself must reach the disk. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
