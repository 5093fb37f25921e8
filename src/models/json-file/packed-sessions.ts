/**
 * Stored sessions packed into typed arrays, for a million of them in little memory: ids, user
 * ids, session keys and fingerprints as bytes, timestamps as numbers, addresses and browsers as
 * indexes into one table of strings. A record is an object again only when asked for (the
 * last few thousand asked for are kept). Records that do not fit the usual shape (other fields,
 * ids that are not UUIDs, timestamps in another format) are kept as they are, in a MemoryIndex
 * beside the arrays, in the same order.
 */
import { formatTimestamp } from "../base.ts";
import { createdBefore, oldestFirst, SESSION_FIELDS, unusedSince, type UserSessionRecord } from "../user-session.ts";
import { recordOfSnapshot } from "./format.ts";
import { MemoryIndex } from "./memory-index.ts";
import type { RecordTable } from "./record-table.ts";
import type { FlatRecordSink } from "./snapshot-scanner.ts";

const fieldDecoder = new TextDecoder();

type Field = (typeof SESSION_FIELDS)[number];
type Codec = "uuid" | "hex" | "time" | "text";

/**
 * How each field is packed. A record lacking `id`, `session_id` or `user_id`, or holding a value
 * its codec cannot take (null among them, for the bytes), is kept as it is.
 */
const CODECS: Record<Field, Codec> = {
  id: "uuid",
  session_id: "hex",
  created_at: "time",
  updated_at: "time",
  last_used_at: "time",
  user_id: "uuid",
  password_fingerprint: "hex",
  client_address: "text",
  user_agent: "text",
};
/** How many bytes each field of the byte codecs takes (hex: half its characters). */
const BYTE_LENGTHS: Partial<Record<Field, number>> = { id: 16, session_id: 32, user_id: 16, password_fingerprint: 16 };
const FIELDS = SESSION_FIELDS;
/** Each field's column among those of its codec. */
const COLUMN: number[] = FIELDS.map((field) => FIELDS.filter((other) => CODECS[other] === CODECS[field]).indexOf(field));
const CODEC: Codec[] = FIELDS.map((field) => CODECS[field]);
const TIMES = FIELDS.filter((field) => CODECS[field] === "time").length;
const TEXTS = FIELDS.filter((field) => CODECS[field] === "text").length;
const FIELD_BYTES = FIELDS.map((field) => new TextEncoder().encode(field));
const ID = FIELDS.indexOf("id");
const KEY = FIELDS.indexOf("session_id");
const USER = FIELDS.indexOf("user_id");
const CREATED = COLUMN[FIELDS.indexOf("created_at")]!;
const LAST_USED = COLUMN[FIELDS.indexOf("last_used_at")]!;
/** Where each byte field sits among a slot's bytes (-1: not a byte field), and its length. */
const BYTE_LENGTH: number[] = FIELDS.map((field) => BYTE_LENGTHS[field] ?? 0);
const BYTE_AT: number[] = BYTE_LENGTH.map((length, i) => (length === 0 ? -1 : BYTE_LENGTH.slice(0, i).reduce((sum, before) => sum + before, 0)));
const SLOT_BYTES = BYTE_LENGTH.reduce((sum, length) => sum + length, 0);
const ID_AT = BYTE_AT[ID]!;
const KEY_AT = BYTE_AT[KEY]!;
const USER_AT = BYTE_AT[USER]!;
const ID_BYTES = BYTE_LENGTH[ID]!;
const KEY_BYTES = BYTE_LENGTH[KEY]!;
/** Slot kinds: empty (removed), kept as an object, or packed with layout number kind - 2. */
const EMPTY = 0;
const OBJECT = 1;
const MAX_LAYOUTS = 250;
const CACHED = 4096;

const HEX = "0123456789abcdef";
const HEX_CODES = Array.from(HEX, (digit) => digit.charCodeAt(0));

export class PackedSessionTable implements RecordTable<UserSessionRecord>, FlatRecordSink {
  readonly scanSink: FlatRecordSink = this;
  private capacity = 0;
  /** Slots used so far, removed ones included: the order of first puts. */
  private used = 0;
  private live = 0;
  private kinds = new Uint8Array(0);
  /** Each slot's byte fields, SLOT_BYTES apiece. */
  private bytes = new Uint8Array(0);
  private times = new Float64Array(0);
  private texts = new Uint32Array(0);
  /** Each packed slot's neighbours among its user's sessions (-1: none). */
  private userPrev = new Int32Array(0);
  private userNext = new Int32Array(0);
  /** Open addressing on the user id bytes: the user's newest packed slot + 1, 0 empty. */
  private userSlotsTable = new Int32Array(0);
  /** Open addressing (linear probing) on the id and on the key bytes: slot + 1, 0 empty. */
  private idSlots = new Int32Array(0);
  private keySlots = new Int32Array(0);
  /** Interned strings; index 0 stands for null. */
  private strings: string[] = [""];
  private stringIndex = new Map<string, number>();
  /** Field orders seen (indexes into FIELDS), by a number made of them. */
  private layouts: number[][] = [];
  private layoutByCode = new Map<number, number>();
  /** Records kept as objects, with their slots. */
  private objects = new MemoryIndex<UserSessionRecord>(["session_id", "user_id"]);
  private objectSlot = new Map<string, number>();
  private objectAt = new Map<number, string>();
  /** The answers of recent searches by session key alone; forgotten whenever a record with that key changes. */
  private recentKeys = new Map<string, UserSessionRecord[]>();
  /** Recently made objects, by slot (direct-mapped). */
  private cacheSlot = new Int32Array(CACHED).fill(-1);
  private cacheRecord: (UserSessionRecord | undefined)[] = new Array(CACHED);
  /** Iterations under way: removed slots are not reused or moved meanwhile. */
  private iterating = 0;

  /** The scan's record in progress: fields in order, and which were seen. */
  private scanCount = 0;
  /** The fields seen so far as layoutOf numbers them, and as a set of bits. */
  private scanCode = 0;
  private scanSeen = 0;
  /** The field order of the record scanned before. */
  private lastOrder: readonly number[] = [];
  /** The last timestamp scanned (its 19 bytes) and its value. */
  private lastTime = new Uint8Array(19);
  private lastTimeValue = Number.NaN;
  /** Each text column's last scanned value, as bytes, and its string's index. */
  private lastScanned: ({ bytes: Uint8Array; index: number } | undefined)[] = [];

  constructor() {
    this.grow(1024);
  }

  get size(): number {
    return this.live;
  }

  clear(): void {
    this.capacity = 0;
    this.used = 0;
    this.live = 0;
    // New arrays, not the old ones cut short: nothing of the old records may linger in a slot or a hash table.
    this.kinds = new Uint8Array(0);
    this.bytes = new Uint8Array(0);
    this.times = new Float64Array(0);
    this.texts = new Uint32Array(0);
    this.userPrev = new Int32Array(0);
    this.userNext = new Int32Array(0);
    this.idSlots = new Int32Array(0);
    this.keySlots = new Int32Array(0);
    this.userSlotsTable = new Int32Array(0);
    this.strings = [""];
    this.stringIndex = new Map();
    this.lastScanned = [];
    this.lastOrder = [];
    this.lastTime.fill(0);
    this.layouts = [];
    this.layoutByCode = new Map();
    this.objects = new MemoryIndex<UserSessionRecord>(["session_id", "user_id"]);
    this.objectSlot = new Map();
    this.objectAt = new Map();
    this.cacheSlot.fill(-1);
    this.cacheRecord = new Array(CACHED);
    this.recentKeys = new Map();
    this.grow(1024);
  }

  get(id: string): UserSessionRecord | null {
    const slot = this.slotOf(id);
    return slot === -1 ? null : this.recordAt(slot, true);
  }

  *values(): IterableIterator<UserSessionRecord> {
    this.iterating += 1;
    try {
      for (let slot = 0; slot < this.used; slot++) {
        if (this.kinds[slot] !== EMPTY) yield this.recordAt(slot, false);
      }
    } finally {
      this.iterating -= 1;
    }
  }

  search(attributes: Partial<UserSessionRecord>): UserSessionRecord[] {
    const key = attributes.session_id;
    // The lookup of every request: by the key alone, answered from the recent ones when it can be.
    let onlyKey = typeof key === "string";
    for (const field in attributes) if (field !== "session_id") onlyKey = false;
    if (onlyKey) {
      const recent = this.recentKeys.get(key!);
      if (recent !== undefined) return [...recent];
    }
    const found: UserSessionRecord[] = [];
    let slots: number[];
    if (typeof key === "string") slots = this.keyHolders(key);
    else if (typeof attributes.user_id === "string") slots = this.userSlots(attributes.user_id);
    else {
      for (const record of this.values()) if (this.matches(record, attributes)) found.push(record);
      return found;
    }
    for (const slot of slots) {
      const record = this.recordAt(slot, true);
      if (this.matches(record, attributes)) found.push(record);
    }
    if (this.objects.size > 0) for (const record of this.objects.search(attributes)) found.push(record);
    if (onlyKey) {
      if (this.recentKeys.size >= CACHED) this.recentKeys.clear();
      this.recentKeys.set(key!, found);
    }
    return [...found];
  }

  matches(record: UserSessionRecord, attributes: Partial<UserSessionRecord>): boolean {
    return this.objects.matches(record, attributes);
  }

  holders(field: keyof UserSessionRecord & string, value: unknown): readonly string[] {
    return this.search({ [field]: value }).map((record) => record.id);
  }

  fold(_field: keyof UserSessionRecord & string, value: unknown): unknown {
    return value;
  }

  put(record: UserSessionRecord): void {
    this.forgetKey(record.session_id);
    let slot = this.slotOf(record.id);
    if (slot === -1) {
      slot = this.newSlot();
      this.live += 1;
    } else this.vacate(slot);
    const kind = this.pack(slot, record);
    if (kind === OBJECT) {
      this.objects.put(record);
      this.objectSlot.set(record.id, slot);
      this.objectAt.set(slot, record.id);
    }
    this.settle(slot, kind);
  }

  delete(id: string): void {
    const slot = this.slotOf(id);
    if (slot === -1) return;
    this.vacate(slot);
    this.live -= 1;
    if (!this.iterating && this.used > 4096 && this.live * 2 < this.used) this.rebuild();
  }

  /** The sessions (all, or one user's) oldest first, ordered as `oldestFirst` orders them but mostly without making text to compare. */
  oldestFirst(userId?: string): UserSessionRecord[] {
    let slots: number[] = [];
    if (userId === undefined) {
      for (let slot = 0; slot < this.used; slot++) if (this.kinds[slot] !== EMPTY) slots.push(slot);
    } else {
      slots = this.userSlots(userId);
      for (const record of this.objects.search({ user_id: userId })) slots.push(this.objectSlot.get(record.id)!);
    }
    const { kinds, times, bytes } = this;
    slots.sort((a, b) => {
      const timeA = times[a * TIMES + CREATED]!;
      const timeB = times[b * TIMES + CREATED]!;
      // Packed, readable creation times compare as their fixed-width text does.
      if (kinds[a] === OBJECT || kinds[b] === OBJECT || Number.isNaN(timeA) || Number.isNaN(timeB)) return oldestFirst(this.recordAt(a, false), this.recordAt(b, false));
      if (timeA !== timeB) return timeA - timeB;
      for (let i = 0; i < ID_BYTES; i++) {
        const difference = bytes[a * SLOT_BYTES + ID_AT + i]! - bytes[b * SLOT_BYTES + ID_AT + i]!;
        if (difference !== 0) return difference;
      }
      return 0;
    });
    return slots.map((slot) => this.recordAt(slot, false));
  }

  /** The ids of the sessions created before `moment`, stopping at the first that was not (they are stored oldest first). */
  idsCreatedBefore(moment: number): string[] {
    const ids: string[] = [];
    for (let slot = 0; slot < this.used; slot++) {
      const kind = this.kinds[slot]!;
      if (kind === EMPTY) continue;
      const old = kind === OBJECT ? createdBefore(this.recordAt(slot, false), moment) : !(this.times[slot * TIMES + CREATED]! + 999 >= moment);
      if (!old) break;
      ids.push(this.idAt(slot));
    }
    return ids;
  }

  /** The ids of the sessions last used (or, never used, created) before `moment`. */
  idsUnusedSince(moment: number): string[] {
    const ids: string[] = [];
    for (let slot = 0; slot < this.used; slot++) {
      const kind = this.kinds[slot]!;
      if (kind === EMPTY) continue;
      let idle: boolean;
      if (kind === OBJECT) idle = unusedSince(this.recordAt(slot, false), moment);
      else {
        const lastUse = this.times[slot * TIMES + LAST_USED]!;
        idle = !((Number.isNaN(lastUse) ? this.times[slot * TIMES + CREATED]! : lastUse) + 999 >= moment);
      }
      if (idle) ids.push(this.idAt(slot));
    }
    return ids;
  }

  // --- The snapshot scan ------------------------------------------------------------------

  reserve(records: number): void {
    if (records > this.capacity) this.grow(records);
  }

  begin(): void {
    this.scanCount = 0;
    this.scanCode = 0;
    this.scanSeen = 0;
    if (this.used === this.capacity) this.grow(this.capacity * 2);
  }

  /** Packs the field straight into the next free slot, which `end` then takes. */
  field(bytes: Uint8Array, nameStart: number, nameEnd: number, start: number, end: number): boolean {
    // Records mostly have the fields of the one before, in its order: that name is tried first.
    const expected = this.lastOrder[this.scanCount];
    const length = nameEnd - nameStart;
    const field =
      expected !== undefined && FIELD_BYTES[expected]!.length === length && sameBytes(FIELD_BYTES[expected]!, 0, bytes, nameStart, length) ? expected : fieldNamed(bytes, nameStart, nameEnd);
    if (field === -1 || this.scanSeen & (1 << field)) return false;
    this.scanSeen |= 1 << field;
    this.scanCount += 1;
    this.scanCode = this.scanCode * 10 + field + 1;
    const slot = this.used;
    const column = COLUMN[field]!;
    switch (CODEC[field]) {
      case "uuid":
        return start !== -1 && uuidBytes(bytes, start, end, this.bytes, slot * SLOT_BYTES + BYTE_AT[field]!);
      case "hex":
        return start !== -1 && hexBytes(bytes, start, end, this.bytes, slot * SLOT_BYTES + BYTE_AT[field]!, BYTE_LENGTH[field]!);
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
        this.times[slot * TIMES + column] = time;
        return true;
      }
      default:
        this.texts[slot * TEXTS + column] = start === -1 ? 0 : this.internSpan(column, bytes, start, end);
        return true;
    }
  }

  end(): boolean {
    if (!(this.scanSeen & (1 << ID)) || !(this.scanSeen & (1 << KEY)) || !(this.scanSeen & (1 << USER))) return false;
    let layout = this.layoutByCode.get(this.scanCode);
    if (layout === undefined) {
      const order: number[] = [];
      for (let code = this.scanCode; code > 0; code = Math.floor(code / 10)) order.unshift((code % 10) - 1);
      layout = this.layoutOf(order);
      if (layout === -1) return false;
    }
    this.lastOrder = this.layouts[layout]!;
    const slot = this.used;
    const kind = layout + 2;
    for (let field = 0; field < FIELDS.length; field++) {
      if (!(this.scanSeen & (1 << field))) this.clearField(slot, field);
    }
    const position = this.idPosition(this.bytes, slot * SLOT_BYTES + ID_AT);
    if (this.idSlots[position] !== 0) {
      // The same id twice in one file: the later record replaces the earlier, in its place.
      this.kinds[slot] = kind;
      const record = this.recordAt(slot, false);
      this.kinds[slot] = EMPTY;
      this.put(record);
      return true;
    }
    this.used += 1;
    this.live += 1;
    this.settle(slot, kind, position);
    return true;
  }

  parsed(key: string, value: unknown): void {
    this.put(recordOfSnapshot<UserSessionRecord>(key, value));
  }

  // --- Slots ------------------------------------------------------------------------------

  private newSlot(): number {
    if (this.used === this.capacity) this.grow(this.capacity * 2);
    return this.used++;
  }

  /** Records the slot's kind and enters a packed slot in the indexes (at `idPosition` in the id table, when known). */
  private settle(slot: number, kind: number, idPosition = this.idPosition(this.bytes, slot * SLOT_BYTES + ID_AT)): void {
    this.kinds[slot] = kind;
    if (kind === OBJECT) return;
    this.idSlots[idPosition] = slot + 1;
    insert(this.keySlots, slot, hashOf(this.bytes, slot * SLOT_BYTES + KEY_AT));
    // The newest session of its user heads the user's chain.
    const position = this.userPosition(this.bytes, slot * SLOT_BYTES + USER_AT);
    const head = this.userSlotsTable[position]! - 1;
    this.userPrev[slot] = -1;
    this.userNext[slot] = head;
    if (head !== -1) this.userPrev[head] = slot;
    this.userSlotsTable[position] = slot + 1;
  }

  /** Takes the slot's record out of every index, leaving the slot empty in its place. */
  private vacate(slot: number): void {
    const kind = this.kinds[slot]!;
    if (kind !== EMPTY && this.recentKeys.size > 0) this.forgetKey(this.recordAt(slot, false).session_id);
    this.kinds[slot] = EMPTY;
    if (this.cacheSlot[slot & (CACHED - 1)] === slot) this.cacheSlot[slot & (CACHED - 1)] = -1;
    if (kind === OBJECT) {
      const id = this.objectAt.get(slot)!;
      this.objects.delete(id);
      this.objectSlot.delete(id);
      this.objectAt.delete(slot);
      return;
    }
    if (kind === EMPTY) return;
    remove(this.idSlots, slot, hashOf(this.bytes, slot * SLOT_BYTES + ID_AT), (at) => hashOf(this.bytes, at * SLOT_BYTES + ID_AT));
    remove(this.keySlots, slot, hashOf(this.bytes, slot * SLOT_BYTES + KEY_AT), (at) => hashOf(this.bytes, at * SLOT_BYTES + KEY_AT));
    const prev = this.userPrev[slot]!;
    const next = this.userNext[slot]!;
    if (next !== -1) this.userPrev[next] = prev;
    if (prev !== -1) this.userNext[prev] = next;
    else if (next !== -1) this.userSlotsTable[this.userPosition(this.bytes, slot * SLOT_BYTES + USER_AT)] = next + 1;
    // The user's last session: the user leaves the table (the chain head's bytes name it).
    else remove(this.userSlotsTable, slot, hashOf(this.bytes, slot * SLOT_BYTES + USER_AT), (at) => hashOf(this.bytes, at * SLOT_BYTES + USER_AT));
  }

  private forgetKey(key: unknown): void {
    if (typeof key === "string") this.recentKeys.delete(key);
  }

  /** Writes the record into the slot's columns: its packed kind, or OBJECT when it does not fit. */
  private pack(slot: number, record: UserSessionRecord): number {
    const order: number[] = [];
    for (const name in record) {
      const field = FIELDS.indexOf(name as Field);
      if (field === -1) return OBJECT;
      order.push(field);
    }
    const layout = this.layoutOf(order);
    if (layout === -1) return OBJECT;
    const values = record as unknown as Record<string, unknown>;
    for (let field = 0; field < FIELDS.length; field++) if (!order.includes(field)) this.clearField(slot, field);
    if (!order.includes(ID) || !order.includes(KEY) || !order.includes(USER)) return OBJECT;
    for (const field of order) {
      const value = values[FIELDS[field]!];
      const column = COLUMN[field]!;
      if (value !== null && typeof value !== "string") return OBJECT;
      switch (CODEC[field]) {
        case "uuid":
          if (value === null || !uuidTextBytes(value, this.bytes, slot * SLOT_BYTES + BYTE_AT[field]!)) return OBJECT;
          break;
        case "hex":
          if (value === null || !hexTextBytes(value, this.bytes, slot * SLOT_BYTES + BYTE_AT[field]!, BYTE_LENGTH[field]!)) return OBJECT;
          break;
        case "time": {
          const time = value === null ? Number.NaN : timestampOfText(value);
          if (value !== null && Number.isNaN(time)) return OBJECT;
          this.times[slot * TIMES + column] = time;
          break;
        }
        default:
          this.texts[slot * TEXTS + column] = value === null ? 0 : this.intern(value);
      }
    }
    return layout + 2;
  }

  private clearField(slot: number, field: number): void {
    if (CODEC[field] === "time") this.times[slot * TIMES + COLUMN[field]!] = Number.NaN;
    else if (CODEC[field] === "text") this.texts[slot * TEXTS + COLUMN[field]!] = 0;
  }

  /** The record in the slot as an object, frozen; from the cache when `cache` and it is there. */
  private recordAt(slot: number, cache: boolean): UserSessionRecord {
    const kind = this.kinds[slot]!;
    if (kind === OBJECT) return this.objects.get(this.objectAt.get(slot)!)!;
    const line = slot & (CACHED - 1);
    if (this.cacheSlot[line] === slot) return this.cacheRecord[line]!;
    const record: Record<string, string | null> = {};
    for (const field of this.layouts[kind - 2]!) {
      const column = COLUMN[field]!;
      switch (CODEC[field]) {
        case "uuid":
          record[FIELDS[field]!] = uuidText(this.bytes, slot * SLOT_BYTES + BYTE_AT[field]!);
          break;
        case "hex":
          record[FIELDS[field]!] = hexText(this.bytes, slot * SLOT_BYTES + BYTE_AT[field]!, BYTE_LENGTH[field]!);
          break;
        case "time":
          record[FIELDS[field]!] = timestampText(this.times[slot * TIMES + column]!);
          break;
        default: {
          const text = this.texts[slot * TEXTS + column]!;
          record[FIELDS[field]!] = text === 0 ? null : this.strings[text]!;
        }
      }
    }
    const frozen = Object.freeze(record) as unknown as UserSessionRecord;
    if (cache) {
      this.cacheSlot[line] = slot;
      this.cacheRecord[line] = frozen;
    }
    return frozen;
  }

  private idAt(slot: number): string {
    return this.kinds[slot] === OBJECT ? this.objectAt.get(slot)! : uuidText(this.bytes, slot * SLOT_BYTES + ID_AT);
  }

  private slotOf(id: string): number {
    const found = this.objectSlot.get(id);
    if (found !== undefined) return found;
    // The slot past the last used one is scratch space (there is always one).
    const scratch = this.used * SLOT_BYTES + ID_AT;
    return uuidTextBytes(id, this.bytes, scratch) ? this.findId(this.bytes, scratch) : -1;
  }

  /** The packed slot whose id has the bytes at bytes[at…], or -1. */
  private findId(bytes: Uint8Array, at: number): number {
    return this.idSlots[this.idPosition(bytes, at)]! - 1;
  }

  /** Where the id table holds the slot of this id, or the free place where it would go. */
  private idPosition(bytes: Uint8Array, at: number): number {
    const mask = this.idSlots.length - 1;
    for (let i = hashOf(bytes, at) & mask; ; i = (i + 1) & mask) {
      const entry = this.idSlots[i]!;
      if (entry === 0 || sameBytes(this.bytes, (entry - 1) * SLOT_BYTES + ID_AT, bytes, at, ID_BYTES)) return i;
    }
  }

  /** Where the user table holds the newest slot of the user with these id bytes, or the free place for it. */
  private userPosition(bytes: Uint8Array, at: number): number {
    const mask = this.userSlotsTable.length - 1;
    for (let i = hashOf(bytes, at) & mask; ; i = (i + 1) & mask) {
      const entry = this.userSlotsTable[i]!;
      if (entry === 0 || sameBytes(this.bytes, (entry - 1) * SLOT_BYTES + USER_AT, bytes, at, BYTE_LENGTH[USER]!)) return i;
    }
  }

  private keyHolders(key: string): number[] {
    const slots: number[] = [];
    const scratch = this.used * SLOT_BYTES + KEY_AT;
    if (!hexTextBytes(key, this.bytes, scratch, KEY_BYTES)) return slots;
    const mask = this.keySlots.length - 1;
    for (let i = hashOf(this.bytes, scratch) & mask; ; i = (i + 1) & mask) {
      const entry = this.keySlots[i]!;
      if (entry === 0) return slots;
      if (sameBytes(this.bytes, (entry - 1) * SLOT_BYTES + KEY_AT, this.bytes, scratch, KEY_BYTES)) slots.push(entry - 1);
    }
  }

  /** The user's packed slots, in the order they were stored. */
  private userSlots(userId: string): number[] {
    const slots: number[] = [];
    const scratch = this.used * SLOT_BYTES + USER_AT;
    if (!uuidTextBytes(userId, this.bytes, scratch)) return slots;
    for (let slot = this.userSlotsTable[this.userPosition(this.bytes, scratch)]! - 1; slot !== -1; slot = this.userNext[slot]!) slots.push(slot);
    return slots.sort((a, b) => a - b);
  }

  /** Interns a scanned value; the same bytes as the column's last value (the usual case: one user's sessions, one browser) are not decoded again. */
  private internSpan(column: number, bytes: Uint8Array, start: number, end: number): number {
    const last = this.lastScanned[column];
    const length = end - start;
    if (last !== undefined && last.bytes.length === length && sameBytes(last.bytes, 0, bytes, start, length)) return last.index;
    const index = this.intern(fieldDecoder.decode(bytes.subarray(start, end)));
    this.lastScanned[column] = { bytes: bytes.slice(start, end), index };
    return index;
  }

  private intern(text: string): number {
    let index = this.stringIndex.get(text);
    if (index === undefined) {
      index = this.strings.push(text) - 1;
      this.stringIndex.set(text, index);
    }
    return index;
  }

  private layoutOf(order: readonly number[]): number {
    let code = 0;
    for (const field of order) code = code * 10 + field + 1;
    let layout = this.layoutByCode.get(code);
    if (layout === undefined) {
      if (this.layouts.length >= MAX_LAYOUTS) return -1;
      layout = this.layouts.push([...order]) - 1;
      this.layoutByCode.set(code, layout);
    }
    return layout;
  }

  /** Room for `capacity` slots, plus the one scratch slot that lookups and the scan write into. */
  private grow(capacity: number): void {
    const slots = capacity + 1;
    const copy = <A extends Uint8Array | Int32Array | Uint32Array | Float64Array>(old: A, make: (n: number) => A, width: number): A => {
      const next = make(slots * width);
      next.set(old.subarray(0, Math.min(old.length, slots * width)));
      return next;
    };
    this.kinds = copy(this.kinds, (n) => new Uint8Array(n), 1);
    this.bytes = copy(this.bytes, (n) => new Uint8Array(n), SLOT_BYTES);
    this.times = copy(this.times, (n) => new Float64Array(n), TIMES);
    this.texts = copy(this.texts, (n) => new Uint32Array(n), TEXTS);
    this.userPrev = copy(this.userPrev, (n) => new Int32Array(n), 1);
    this.userNext = copy(this.userNext, (n) => new Int32Array(n), 1);
    this.capacity = capacity;
    // Hash tables at most half full.
    let size = 1;
    while (size < capacity * 2) size *= 2;
    if (size !== this.idSlots.length) {
      this.idSlots = new Int32Array(size);
      this.keySlots = new Int32Array(size);
      this.userSlotsTable = new Int32Array(size);
      for (let slot = 0; slot < this.used; slot++) {
        const kind = this.kinds[slot]!;
        if (kind === EMPTY || kind === OBJECT) continue;
        insert(this.idSlots, slot, hashOf(this.bytes, slot * SLOT_BYTES + ID_AT));
        insert(this.keySlots, slot, hashOf(this.bytes, slot * SLOT_BYTES + KEY_AT));
        // A chain's head stands for its user.
        if (this.userPrev[slot] === -1) insert(this.userSlotsTable, slot, hashOf(this.bytes, slot * SLOT_BYTES + USER_AT));
      }
    }
  }

  /** Packs the live records anew, when removed slots outnumber them; strings no longer used go. */
  private rebuild(): void {
    const records = [...this.values()];
    this.clear();
    for (const record of records) this.put(record);
  }
}

/** The index of the field whose name has these bytes, or -1. */
function fieldNamed(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  for (let field = 0; field < FIELD_BYTES.length; field++) {
    const name = FIELD_BYTES[field]!;
    if (name.length === length && sameBytes(name, 0, bytes, start, length)) return field;
  }
  return -1;
}

function sameBytes(a: Uint8Array, at: number, b: Uint8Array, bt: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[at + i] !== b[bt + i]) return false;
  return true;
}

/** A 32-bit hash of the 8 bytes at `at` (random ids and SHA-256 keys: spread already, mixed anyway). */
function hashOf(bytes: Uint8Array, at: number): number {
  let h = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) ^ Math.imul(bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 10]! << 16) | (bytes[at + 11]! << 24), 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function insert(table: Int32Array, slot: number, hash: number): void {
  const mask = table.length - 1;
  let i = hash & mask;
  while (table[i] !== 0) i = (i + 1) & mask;
  table[i] = slot + 1;
}

/** Removes the slot's entry, shifting later entries of its run back (no tombstones). */
function remove(table: Int32Array, slot: number, hash: number, hashAt: (slot: number) => number): void {
  const mask = table.length - 1;
  let i = hash & mask;
  while (table[i] !== slot + 1) {
    if (table[i] === 0) return;
    i = (i + 1) & mask;
  }
  let hole = i;
  for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
    const home = hashAt(table[j]! - 1) & mask;
    // The entry at j may fill the hole when its home is not in (hole, j] (cyclically).
    if (hole < j ? home <= hole || home > j : home <= hole && home > j) {
      table[hole] = table[j]!;
      hole = j;
    }
  }
  table[hole] = 0;
}

// --- Codecs ---------------------------------------------------------------------------------

/** Each character code's value as a lowercase hex digit, or -1. */
const NIBBLES = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit++) NIBBLES[HEX.charCodeAt(digit)] = digit;

function nibble(code: number): number {
  return code < 256 ? NIBBLES[code]! : -1;
}

/** Lowercase hex of exactly `length` bytes into out[at…]; false for anything else. */
function hexBytes(bytes: Uint8Array, start: number, end: number, out: Uint8Array, at: number, length: number): boolean {
  if (end - start !== length * 2) return false;
  for (let i = 0; i < length; i++) {
    const high = NIBBLES[bytes[start + 2 * i]!]!;
    const low = NIBBLES[bytes[start + 2 * i + 1]!]!;
    if (high < 0 || low < 0) return false;
    out[at + i] = (high << 4) | low;
  }
  return true;
}

function hexTextBytes(text: string, out: Uint8Array, at: number, length: number): boolean {
  if (text.length !== length * 2) return false;
  for (let i = 0; i < length; i++) {
    const high = nibble(text.charCodeAt(2 * i));
    const low = nibble(text.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) return false;
    out[at + i] = (high << 4) | low;
  }
  return true;
}

const hexScratch = Buffer.alloc(KEY_BYTES * 2);

function hexText(bytes: Uint8Array, at: number, length: number): string {
  for (let i = 0; i < length; i++) {
    const byte = bytes[at + i]!;
    hexScratch[2 * i] = HEX_CODES[byte >> 4]!;
    hexScratch[2 * i + 1] = HEX_CODES[byte & 15]!;
  }
  return hexScratch.toString("latin1", 0, 2 * length);
}

/** Where a lowercase UUID's 16 bytes sit among its 36 characters. */
const UUID_PAIRS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const UUID_DASHES = [8, 13, 18, 23];

function uuidBytes(bytes: Uint8Array, start: number, end: number, out: Uint8Array, at: number): boolean {
  if (end - start !== 36) return false;
  for (const dash of UUID_DASHES) if (bytes[start + dash] !== 0x2d) return false;
  for (let i = 0; i < ID_BYTES; i++) {
    const high = NIBBLES[bytes[start + UUID_PAIRS[i]!]!]!;
    const low = NIBBLES[bytes[start + UUID_PAIRS[i]! + 1]!]!;
    if (high < 0 || low < 0) return false;
    out[at + i] = (high << 4) | low;
  }
  return true;
}

function uuidTextBytes(text: string, out: Uint8Array, at: number): boolean {
  if (text.length !== 36) return false;
  for (const dash of UUID_DASHES) if (text.charCodeAt(dash) !== 0x2d) return false;
  for (let i = 0; i < ID_BYTES; i++) {
    const high = nibble(text.charCodeAt(UUID_PAIRS[i]!));
    const low = nibble(text.charCodeAt(UUID_PAIRS[i]! + 1));
    if (high < 0 || low < 0) return false;
    out[at + i] = (high << 4) | low;
  }
  return true;
}

/** Where a UUID's text is put together: one flat string, quick to compare and hash, unlike a concatenation. */
const uuidScratch = Buffer.alloc(36, 0x2d);

function uuidText(bytes: Uint8Array, at: number): string {
  for (let i = 0; i < ID_BYTES; i++) {
    const byte = bytes[at + i]!;
    uuidScratch[UUID_PAIRS[i]!] = HEX_CODES[byte >> 4]!;
    uuidScratch[UUID_PAIRS[i]! + 1] = HEX_CODES[byte & 15]!;
  }
  return uuidScratch.toString("latin1", 0, 36);
}

/** The last timestamp written out: a session's times are often the same second, and so are neighbours'. */
let lastTime = Number.NaN;
let lastTimeText = "";

function timestampText(time: number): string | null {
  if (Number.isNaN(time)) return null;
  if (time !== lastTime) {
    lastTime = time;
    lastTimeText = formatTimestamp(time);
  }
  return lastTimeText;
}

/** Where the digits and separators of `YYYY-MM-DDTHH:MM:SS` sit. */
const TIME_SEPARATORS: [number, number][] = [
  [4, 0x2d],
  [7, 0x2d],
  [10, 0x54],
  [13, 0x3a],
  [16, 0x3a],
];

/**
 * Epoch ms of exactly `YYYY-MM-DDTHH:MM:SS` (what formatTimestamp writes, so that writing it
 * again gives the same text), or NaN.
 */
function timestampOf(bytes: Uint8Array, start: number, end: number): number {
  if (end - start !== 19) return Number.NaN;
  for (const [at, code] of TIME_SEPARATORS) if (bytes[start + at] !== code) return Number.NaN;
  return timestampOfParts(digitsOf(bytes, start, 4), digitsOf(bytes, start + 5, 2), digitsOf(bytes, start + 8, 2), digitsOf(bytes, start + 11, 2), digitsOf(bytes, start + 14, 2), digitsOf(bytes, start + 17, 2));
}

function timestampOfText(text: string): number {
  if (text.length !== 19) return Number.NaN;
  return timestampOf(new TextEncoder().encode(text), 0, 19);
}

/** The decimal number of `count` digits at bytes[at…], or -1. */
function digitsOf(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function timestampOfParts(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  if (day > daysIn(year, month)) return Number.NaN;
  return (daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) * 1000;
}

/** Days since 1970-01-01 of a date of the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
