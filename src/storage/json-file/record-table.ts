/**
 * What the JSON-file store keeps its records in: every record of one model, by id, with lookups
 * by value. Two kinds: MemoryIndex (plain objects, any record) and PackedSessionTable (sessions
 * packed into typed arrays, so that a million of them fit in little memory). Neither knows of
 * files.
 */
import type { BaseRecord } from "../../domain/base.ts";
import type { FlatRecordSink } from "./snapshot-scanner.ts";

/** How a field's values compare: two values are equal when their folds are (emails: trimmed, lowercase). */
export type Folds<T> = Partial<Record<keyof T & string, (value: unknown) => unknown>>;

export interface RecordTable<T extends BaseRecord> {
  readonly size: number;
  /**
   * Set by a table that takes a data file as scanned fields, without an object per record (the
   * packed one); a table of plain objects is given JSON.parse's, which native parsing makes fastest.
   */
  readonly scanSink?: FlatRecordSink;
  get(id: string): T | null;
  /** In the order the records were first put (a record put again keeps its place). */
  values(): IterableIterator<T>;
  /** Every record whose attributes all equal the given ones. */
  search(attributes: Partial<T>): T[];
  /** Whether a record has these values, each compared as its field folds it. */
  matches(record: T, attributes: Partial<T>): boolean;
  /** The ids of the records whose indexed `field` holds `value`. */
  holders(field: keyof T & string, value: unknown): readonly string[];
  /** A value as this field compares it. */
  fold(field: keyof T & string, value: unknown): unknown;
  put(record: T): void;
  delete(id: string): void;
  /** Empties the table, before reading the files from scratch. */
  clear(): void;
}
