/**
 * One write batch of the JSON-file store, decided before anything is written: what each queued
 * change does to the records as they stand, with unique fields checked. Knows nothing of files
 * or locks; the store appends the lines and applies the changes.
 */
import type { BaseRecord } from "../../domain/base.ts";
import { hasValues, UniqueConstraintError } from "../record-store.ts";
import { journalLine } from "./journal.ts";
import type { RecordTable } from "./record-table.ts";

/** A change waiting for the next append, with the promise it settles. */
export type Pending<T> = { reject: (error: Error) => void } & (
  | { op: "put"; record: T; resolve: () => void }
  | { op: "update"; id: string; changes: Partial<T>; expect: Partial<T> | undefined; resolve: (record: T | null) => void }
  | { op: "remove"; id: string; resolve: (removed: boolean) => void }
  | { op: "removeWhere"; attributes: Partial<T>; resolve: (count: number) => void }
);

/**
 * Decides each change against memory (caught up with the files, under the lock) plus the
 * changes before it in the batch: the journal lines to append, the changes to apply to memory
 * once they are on disk (so that no reader sees an unacknowledged write), and each accepted
 * change's result. A change that would give a unique field a second holder is rejected here.
 */
export function decideBatch<T extends BaseRecord>(batch: readonly Pending<T>[], memory: RecordTable<T>, unique: readonly (keyof T & string)[]) {
  const changes = new Map<string, T | null>();
  const lines: string[] = [];
  const accepted: { change: Pending<T>; result: unknown }[] = [];
  const current = (id: string) => (changes.has(id) ? changes.get(id)! : memory.get(id));
  const removeLine = (id: string) => {
    changes.set(id, null);
    lines.push(journalLine<T>({ op: "remove", id }));
  };
  /** Puts the record, or names the unique field it would give a second record. */
  const putLine = (record: T, before: T | null): string | null => {
    const conflict = unique.find((field) => (before === null || memory.fold(field, before[field]) !== memory.fold(field, record[field])) && isTaken(memory, field, record, changes));
    if (conflict !== undefined) return conflict;
    changes.set(record.id, record);
    lines.push(journalLine({ op: "put", record }));
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
        const ids = new Set(memory.search(change.attributes).map((record) => record.id));
        // Earlier changes in this batch count as stored.
        for (const [id, changed] of changes) {
          if (changed !== null && memory.matches(changed, change.attributes)) ids.add(id);
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

/** Whether another record, as stored or as changed earlier in the batch, holds `record`'s value of `field`. */
function isTaken<T extends BaseRecord>(memory: RecordTable<T>, field: keyof T & string, record: T, changes: Map<string, T | null>): boolean {
  if (record[field] === null || record[field] === undefined) return false;
  const value = memory.fold(field, record[field]);
  const same = (other: T) => memory.fold(field, other[field]) === value;
  for (const [id, changed] of changes) {
    if (id !== record.id && changed !== null && same(changed)) return true;
  }
  for (const id of memory.holders(field, record[field])) {
    if (id === record.id) continue;
    const changed = changes.get(id);
    if (changed === undefined || (changed !== null && same(changed))) return true;
  }
  return false;
}
