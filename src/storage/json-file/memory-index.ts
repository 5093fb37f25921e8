/**
 * Every record of one model in memory as plain objects, by id, with hash indexes on the fields
 * looked up by value (email, session_id…). Knows nothing of files: the store decides what goes in.
 */
import type { BaseRecord } from "../../domain/base.ts";
import type { Folds, RecordTable } from "./record-table.ts";

/** value → id, or a Set of ids when several records share the value. */
type FieldIndex = Map<unknown, string | Set<string>>;

export class MemoryIndex<T extends BaseRecord> implements RecordTable<T> {
  private records = new Map<string, T>();
  private readonly indexes = new Map<keyof T & string, FieldIndex>();
  /**
   * The same indexes as a plain list, each with its field's fold: walked by index once per record
   * put, where a Map's entry iterator cost loading 1k users at start-up, before any of this code
   * is compiled, about 2 ms.
   */
  private readonly indexing: { field: keyof T & string; index: FieldIndex; fold: ((value: unknown) => unknown) | undefined }[] = [];

  constructor(
    readonly indexedFields: readonly (keyof T & string)[],
    private readonly folds: Folds<T> = {},
  ) {
    for (const field of indexedFields) {
      const index: FieldIndex = new Map();
      this.indexes.set(field, index);
      this.indexing.push({ field, index, fold: folds[field] });
    }
  }

  /** A value as this field compares it. */
  fold(field: keyof T & string, value: unknown): unknown {
    const fold = this.folds[field];
    return fold ? fold(value) : value;
  }

  get size(): number {
    return this.records.size;
  }

  get(id: string): T | null {
    return this.records.get(id) ?? null;
  }

  /** In the order the records were first put (a record put again keeps its place). */
  values(): IterableIterator<T> {
    return this.records.values();
  }

  /** Every record whose attributes all equal the given ones. */
  search(attributes: Partial<T>): T[] {
    // The usual search (by email, by session id: once per request) names one indexed field;
    // it is found without building a list of the attributes.
    let fields = 0;
    let index: FieldIndex | undefined;
    let value: unknown;
    for (const field in attributes) {
      fields += 1;
      if (index === undefined && (index = this.indexes.get(field)) !== undefined) value = this.fold(field, attributes[field]);
    }
    if (index === undefined) return this.matching(this.records.values(), attributes);
    const ids = index.get(value);
    if (ids === undefined) return [];
    const candidates = typeof ids === "string" ? [this.records.get(ids)!] : [...ids].map((id) => this.records.get(id)!);
    return fields === 1 ? candidates : this.matching(candidates, attributes);
  }

  /** Whether a record has these values, each compared as its field folds it. */
  matches(record: T, attributes: Partial<T>): boolean {
    for (const field in attributes) {
      if (this.fold(field, record[field]) !== this.fold(field, attributes[field])) return false;
    }
    return true;
  }

  private matching(records: Iterable<T>, attributes: Partial<T>): T[] {
    const found: T[] = [];
    for (const record of records) if (this.matches(record, attributes)) found.push(record);
    return found;
  }

  /** The ids of the records whose indexed `field` holds `value`. */
  holders(field: keyof T & string, value: unknown): readonly string[] {
    const ids = this.indexes.get(field)?.get(this.fold(field, value));
    if (ids === undefined) return [];
    return typeof ids === "string" ? [ids] : [...ids];
  }

  put(record: T): void {
    const before = this.records.get(record.id);
    if (before) this.unindex(before);
    this.records.set(record.id, record);
    this.index(record);
  }

  delete(id: string): void {
    const before = this.records.get(id);
    if (!before) return;
    this.unindex(before);
    this.records.delete(id);
  }

  clear(): void {
    this.records = new Map();
    for (const index of this.indexes.values()) index.clear();
  }

  private index(record: T): void {
    for (let i = 0; i < this.indexing.length; i++) {
      const { field, index, fold } = this.indexing[i]!;
      const value = fold ? fold(record[field]) : record[field];
      const ids = index.get(value);
      if (ids === undefined) index.set(value, record.id);
      else if (typeof ids === "string") {
        if (ids !== record.id) index.set(value, new Set([ids, record.id]));
      } else ids.add(record.id);
    }
  }

  private unindex(record: T): void {
    for (let i = 0; i < this.indexing.length; i++) {
      const { field, index, fold } = this.indexing[i]!;
      const value = fold ? fold(record[field]) : record[field];
      const ids = index.get(value);
      if (ids === record.id) index.delete(value);
      else if (typeof ids === "object") {
        ids.delete(record.id);
        if (ids.size === 1) index.set(value, ids.values().next().value!);
      }
    }
  }
}
