/**
 * Session records into slots and back: each field by its codec (session-slots.ts), texts
 * interned, the order of a record's fields kept as its layout, so that it is written back as it
 * was. One record at a time: `start`, a `field` for each field, `finish`.
 */
import type { UserSessionRecord } from "../../../domain/user-session.ts";
import { FieldOrders } from "./field-orders.ts";
import { hexBytes, hexText, sameBytes, timestampOf, timestampText, utf8, uuidBytes, uuidText } from "./byte-codecs.ts";
import { BYTE_AT, BYTE_LENGTH, CODEC, COLUMN, type Field, FIELDS, FIRST_LAYOUT, ID, KEY, OBJECT, type SessionSlots, SLOT_BYTES, TEXTS, TIMES, USER } from "./session-slots.ts";

const MAX_LAYOUTS = 250;
const NONE = new Uint8Array(0);
const fieldDecoder = new TextDecoder();

export class SessionPacker {
  /** Interned strings; index 0 stands for null. */
  private strings: string[] = [""];
  private stringIndex = new Map<string, number>();
  /** The field orders seen (indexes into FIELDS): a slot's layout is the number of its record's. */
  private layouts = new FieldOrders(FIELDS.length, MAX_LAYOUTS);
  /** The last timestamp packed (its 19 bytes) and its value. */
  private lastTime = new Uint8Array(19);
  private lastTimeValue = Number.NaN;
  /** Each text column's last packed value, as bytes, and its string's index. */
  private lastText: ({ bytes: Uint8Array; index: number } | undefined)[] = [];

  constructor(private readonly slots: SessionSlots) {}

  /** The field the record being packed most likely has next: the next of the record before. */
  expectedField(): number | undefined {
    return this.layouts.expected();
  }

  /** Writes the record into the slot: its packed kind, or OBJECT when it does not fit. */
  packRecord(slot: number, record: UserSessionRecord): number {
    this.start(slot);
    const values = record as unknown as Record<string, unknown>;
    for (const name in record) {
      const field = FIELDS.indexOf(name as Field);
      const value = values[name];
      if (field === -1 || (value !== null && typeof value !== "string")) return OBJECT;
      // A lone surrogate has no UTF-8 bytes: such a text is kept as it is, to be written back as it was.
      if (value !== null && !value.isWellFormed()) return OBJECT;
      const bytes = value === null ? NONE : utf8(value);
      if (!this.field(slot, field, bytes, value === null ? -1 : 0, value === null ? -1 : bytes.length)) return OBJECT;
    }
    const kind = this.finish();
    return kind === -1 ? OBJECT : kind;
  }

  /** A record's fields are about to be packed into the slot: times it lacks read as none (NaN), texts as null. */
  start(slot: number): void {
    this.layouts.start();
    this.slots.times.fill(Number.NaN, slot * TIMES, (slot + 1) * TIMES);
    this.slots.texts.fill(0, slot * TEXTS, (slot + 1) * TEXTS);
  }

  /** Packs one field's value, bytes[start, end) (or null: start = end = -1), into the slot; false when it does not fit. */
  field(slot: number, field: number, bytes: Uint8Array, start: number, end: number): boolean {
    if (!this.layouts.add(field)) return false;
    const { slots } = this;
    const column = COLUMN[field]!;
    switch (CODEC[field]) {
      case "uuid":
        return start !== -1 && uuidBytes(bytes, start, end, slots.bytes, slot * SLOT_BYTES + BYTE_AT[field]!);
      case "hex":
        return start !== -1 && hexBytes(bytes, start, end, slots.bytes, slot * SLOT_BYTES + BYTE_AT[field]!, BYTE_LENGTH[field]!);
      case "time": {
        let time = Number.NaN;
        if (start !== -1) {
          // A session's times are often one second (created, updated), and so are its neighbours'.
          const last = this.lastTime;
          if (end - start === 19 && sameBytes(last, 0, bytes, start, 19)) time = this.lastTimeValue;
          else {
            time = timestampOf(bytes, start, end);
            if (Number.isNaN(time)) return false;
            last.set(bytes.subarray(start, end));
            this.lastTimeValue = time;
          }
        }
        slots.times[slot * TIMES + column] = time;
        return true;
      }
      default:
        slots.texts[slot * TEXTS + column] = start === -1 ? 0 : this.intern(column, bytes, start, end);
        return true;
    }
  }

  /** The kind of slot the fields packed since `start` make (their layout), or -1 when the record does not fit. */
  finish(): number {
    const { layouts } = this;
    if (!layouts.has(ID) || !layouts.has(KEY) || !layouts.has(USER)) return -1;
    const layout = layouts.finish();
    return layout === -1 ? -1 : layout + FIRST_LAYOUT;
  }

  /** The record packed in the slot, as a frozen object. */
  unpack(slot: number): UserSessionRecord {
    const { slots } = this;
    const record: Record<string, string | null> = {};
    for (const field of this.layouts.order(slots.kinds[slot]! - FIRST_LAYOUT)) {
      const column = COLUMN[field]!;
      const at = slot * SLOT_BYTES + BYTE_AT[field]!;
      switch (CODEC[field]) {
        case "uuid":
          record[FIELDS[field]!] = uuidText(slots.bytes, at);
          break;
        case "hex":
          record[FIELDS[field]!] = hexText(slots.bytes, at, BYTE_LENGTH[field]!);
          break;
        case "time":
          record[FIELDS[field]!] = timestampText(slots.times[slot * TIMES + column]!);
          break;
        default: {
          const text = slots.texts[slot * TEXTS + column]!;
          record[FIELDS[field]!] = text === 0 ? null : this.strings[text]!;
        }
      }
    }
    return Object.freeze(record) as unknown as UserSessionRecord;
  }

  /** Interns a text field's value; the same bytes as the column's last value (the usual case: one browser) are not decoded again. */
  private intern(column: number, bytes: Uint8Array, start: number, end: number): number {
    const last = this.lastText[column];
    const length = end - start;
    if (last !== undefined && last.bytes.length === length && sameBytes(last.bytes, 0, bytes, start, length)) return last.index;
    const text = fieldDecoder.decode(bytes.subarray(start, end));
    let index = this.stringIndex.get(text);
    if (index === undefined) {
      index = this.strings.push(text) - 1;
      this.stringIndex.set(text, index);
    }
    this.lastText[column] = { bytes: bytes.slice(start, end), index };
    return index;
  }
}
