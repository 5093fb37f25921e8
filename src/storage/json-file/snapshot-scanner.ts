/**
 * Reads a data file (`{"<id>": {record}, …}`) in chunks, without building the whole text or the
 * whole object tree: each record's fields are handed over as byte spans. A record whose fields
 * are not all plain strings or null (escapes, numbers, nested values) is handed over parsed
 * instead. Anything else about the file makes the scan give up, so that the caller can read the
 * file the ordinary way and report what is wrong with it.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export interface FlatRecordSink {
  /** A record begins; what `field` took since the last `begin` is forgotten. */
  begin(): void;
  /**
   * A field whose value is a string without escapes, `bytes[start, end)` (UTF-8, no quotes), or
   * null (start = end = -1). False: the record cannot be taken this way, and is parsed instead.
   */
  field(bytes: Uint8Array, nameStart: number, nameEnd: number, start: number, end: number): boolean;
  /**
   * The record whose fields were all taken, stored under the key bytes[keyStart, keyEnd) as
   * written (escapes not read); false as for `field`.
   */
  end(bytes: Uint8Array, keyStart: number, keyEnd: number): boolean;
  /** A record given whole, parsed, with the key it was stored under. */
  parsed(key: string, value: unknown): void;
  /** About how many records the file holds, told once the first chunk was read. */
  reserve?(records: number): void;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Thrown inside the scan when the file is not an object of records; the caller reads it again. */
class NotScannable extends Error {}

/** Scanning needs bytes past the end of what was read so far. */
const MORE = -2;

const decoder = new TextDecoder();

/**
 * Scans the file at `path` into `sink`; returns the file's size in bytes, or null when the file
 * is not an object of records as far as the scan can tell (the caller then parses it whole).
 */
export function scanSnapshot(path: string, sink: FlatRecordSink, chunkBytes = 4 << 20): number | null {
  const fd = openSync(path, "r");
  try {
    return scan(fd, sink, chunkBytes);
  } catch (error) {
    if (error instanceof NotScannable) return null;
    throw error;
  } finally {
    closeSync(fd);
  }
}

function scan(fd: number, sink: FlatRecordSink, chunkBytes: number): number {
  let buffer = new Uint8Array(chunkBytes);
  let length = 0;
  let total = 0;
  let eof = false;
  /** Keeps bytes from `from` on, moves them to the front and reads more after them. */
  const refill = (from: number): void => {
    if (eof) throw new NotScannable();
    const kept = length - from;
    if (kept * 2 > buffer.length) {
      const bigger = new Uint8Array(buffer.length * 2);
      bigger.set(buffer.subarray(from, length));
      buffer = bigger;
    } else buffer.copyWithin(0, from, length);
    length = kept;
    const read = readSync(fd, buffer, length, buffer.length - length, null);
    if (read === 0) eof = true;
    length += read;
    total += read;
  };
  refill(0);
  let at = skipSpace(buffer, 0, length);
  while (at === length && !eof) {
    refill(length);
    at = skipSpace(buffer, 0, length);
  }
  if (buffer[at] !== OPEN) throw new NotScannable();
  let position = at + 1;
  let first = true;
  let records = 0;
  let reserved = false;
  for (;;) {
    const i = skipSpace(buffer, position, length);
    const next = i === length ? MORE : buffer[i] === CLOSE ? -1 : record(buffer, i, length, first, sink);
    if (next === MORE) {
      if (!reserved && sink.reserve && records > 0) {
        sink.reserve(Math.ceil((records * fstatSync(fd).size) / (total - (length - position)) * 1.05));
        reserved = true;
      }
      refill(position);
      position = 0;
    } else if (next === -1) {
      position = i + 1;
      break;
    } else {
      position = next;
      first = false;
      records += 1;
    }
  }
  // After the closing brace: nothing but white space.
  for (;;) {
    const end = skipSpace(buffer, position, length);
    if (end < length) throw new NotScannable();
    if (eof) return total;
    refill(length);
    position = 0;
  }
}

/**
 * One record from `at` (its separating comma, or its key for the first): the position after it,
 * or MORE when the bytes end first.
 */
function record(bytes: Uint8Array, at: number, length: number, first: boolean, sink: FlatRecordSink): number {
  let i = at;
  if (!first) {
    if (bytes[i] !== COMMA) throw new NotScannable();
    i = skipSpace(bytes, i + 1, length);
    if (i === length) return MORE;
  }
  if (bytes[i] !== QUOTE) throw new NotScannable();
  const keyStart = i;
  const keyEnd = stringEnd(bytes, i + 1, length);
  if (keyEnd === MORE) return MORE;
  i = skipSpace(bytes, keyEnd + 1, length);
  if (i === length) return MORE;
  if (bytes[i] !== COLON) throw new NotScannable();
  i = skipSpace(bytes, i + 1, length);
  if (i === length) return MORE;
  if (bytes[i] !== OPEN) throw new NotScannable();
  const valueStart = i;
  sink.begin();
  const flat = fields(bytes, i + 1, length, sink);
  if (flat === MORE) return MORE;
  if (flat > 0 && sink.end(bytes, keyStart + 1, keyEnd)) return flat;
  // Not flat strings: find where the record ends, and parse it.
  const valueEnd = valueEndAt(bytes, valueStart, length);
  if (valueEnd === MORE) return MORE;
  let key: unknown;
  let value: unknown;
  try {
    key = JSON.parse(decoder.decode(bytes.subarray(keyStart, keyEnd + 1)));
    value = JSON.parse(decoder.decode(bytes.subarray(valueStart, valueEnd)));
  } catch {
    throw new NotScannable();
  }
  sink.parsed(key as string, value);
  return valueEnd;
}

/**
 * The fields of a flat record from `at` (just after its `{`): the position after its `}`, MORE,
 * or 0 when a value is not a plain string or null (or the sink refused one).
 */
function fields(bytes: Uint8Array, at: number, length: number, sink: FlatRecordSink): number {
  let i = skipSpace(bytes, at, length);
  if (i === length) return MORE;
  if (bytes[i] === CLOSE) return i + 1;
  for (;;) {
    if (bytes[i] !== QUOTE) return 0;
    const nameStart = i + 1;
    const nameEnd = plainStringEnd(bytes, nameStart, length);
    if (nameEnd < 0) return nameEnd === MORE ? MORE : 0;
    i = skipSpace(bytes, nameEnd + 1, length);
    if (i === length) return MORE;
    if (bytes[i] !== COLON) return 0;
    i = skipSpace(bytes, i + 1, length);
    if (i === length) return MORE;
    let start = -1;
    let end = -1;
    if (bytes[i] === QUOTE) {
      start = i + 1;
      end = plainStringEnd(bytes, start, length);
      if (end < 0) return end === MORE ? MORE : 0;
      i = end + 1;
    } else if (bytes[i] === 0x6e) {
      if (i + 4 > length) return MORE;
      if (bytes[i + 1] !== 0x75 || bytes[i + 2] !== 0x6c || bytes[i + 3] !== 0x6c) return 0;
      i += 4;
    } else return 0;
    if (!sink.field(bytes, nameStart, nameEnd, start, end)) return 0;
    i = skipSpace(bytes, i, length);
    if (i === length) return MORE;
    if (bytes[i] === CLOSE) return i + 1;
    if (bytes[i] !== COMMA) return 0;
    i = skipSpace(bytes, i + 1, length);
    if (i === length) return MORE;
  }
}

/** The index of the quote closing a string with no escape or control character; -1 if it has one; MORE. */
function plainStringEnd(bytes: Uint8Array, at: number, length: number): number {
  for (let i = at; i < length; i++) {
    const byte = bytes[i]!;
    if (byte === QUOTE) return i;
    if (byte === BACKSLASH || byte < 0x20) return -1;
  }
  return MORE;
}

/** The index of the quote closing a string, escapes allowed; MORE. */
function stringEnd(bytes: Uint8Array, at: number, length: number): number {
  for (let i = at; i < length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) return i;
    if (byte === BACKSLASH) i++;
  }
  return MORE;
}

/** The position after the object or array that starts at `at`; MORE. */
function valueEndAt(bytes: Uint8Array, at: number, length: number): number {
  let depth = 0;
  for (let i = at; i < length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      i = stringEnd(bytes, i + 1, length);
      if (i === MORE) return MORE;
    } else if (byte === OPEN || byte === OPEN_ARRAY) depth++;
    else if (byte === CLOSE || byte === CLOSE_ARRAY) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return MORE;
}

function skipSpace(bytes: Uint8Array, at: number, length: number): number {
  let i = at;
  while (i < length) {
    const byte = bytes[i];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) break;
    i++;
  }
  return i;
}
