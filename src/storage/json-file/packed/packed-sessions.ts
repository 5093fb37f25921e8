/**
 * Stored sessions packed into typed arrays (SessionSlots), for a million of them in little
 * memory: ids, user ids, session keys and fingerprints as bytes, timestamps as numbers,
 * addresses and browsers as indexes into one table of strings. A record is an object again only
 * when asked for (the last few thousand asked for are kept). Records that do not fit the usual
 * shape (other fields, ids that are not UUIDs, timestamps in another format) are kept as they
 * are, in a MemoryIndex beside the slots, in the same order.
 */
import { hasValues } from "../../record-store.ts";
import { secondBefore } from "../../../domain/session-time.ts";
import { createdBefore, oldestFirst, unusedSince, type UserSessionRecord } from "../../../domain/user-session.ts";
import { hexBytes, sameBytes, utf8, uuidBytes } from "./byte-codecs.ts";
import { recordOfSnapshot } from "../format.ts";
import { MemoryIndex } from "../memory-index.ts";
import type { RecordTable } from "../record-table.ts";
import { SessionPacker } from "./session-packer.ts";
import { BYTE_AT, BYTE_LENGTH, CREATED, EMPTY, fieldNamed, ID, KEY, LAST_USED, OBJECT, SessionSlots, SLOT_BYTES, TIMES } from "./session-slots.ts";
import type { FlatRecordSink } from "../snapshot-scanner.ts";

const CACHED = 4096;
/** An id as the packed slots write it: the only ids a record kept as an object can share with a packed one. */
const PACKED_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Where a looked-up id, key or user id is turned into bytes. */
const lookup = new Uint8Array(32);

export class PackedSessionTable implements RecordTable<UserSessionRecord>, FlatRecordSink {
  readonly scanSink: FlatRecordSink = this;
  private slots = new SessionSlots();
  private packer = new SessionPacker(this.slots);
  private live = 0;
  /** Records kept as objects, with their slots. */
  private objects = new MemoryIndex<UserSessionRecord>(["session_id", "user_id"]);
  private objectSlot = new Map<string, number>();
  private objectAt = new Map<number, string>();
  /** How many records kept as objects have an id a packed record could have. */
  private objectPackedIds = 0;
  /** The answers of recent searches by session key alone; forgotten whenever a record with that key changes. */
  private recentKeys = new Map<string, UserSessionRecord[]>();
  /** Recently made objects, by slot (direct-mapped). */
  private cacheSlot = new Int32Array(CACHED).fill(-1);
  private cacheRecord: (UserSessionRecord | undefined)[] = new Array(CACHED);
  /** Iterations under way: removed slots are not reused or moved meanwhile. */
  private iterating = 0;

  get size(): number {
    return this.live;
  }

  clear(): void {
    // New slots, not the old ones cut short: nothing of the old records may linger in a slot or a hash table.
    this.slots = new SessionSlots();
    this.packer = new SessionPacker(this.slots);
    this.live = 0;
    this.objects = new MemoryIndex<UserSessionRecord>(["session_id", "user_id"]);
    this.objectSlot = new Map();
    this.objectAt = new Map();
    this.objectPackedIds = 0;
    this.cacheSlot.fill(-1);
    this.cacheRecord = new Array(CACHED);
    this.recentKeys = new Map();
  }

  get(id: string): UserSessionRecord | null {
    const slot = this.slotOf(id);
    return slot === -1 ? null : this.recordAt(slot, true);
  }

  *values(): IterableIterator<UserSessionRecord> {
    this.iterating += 1;
    try {
      for (let slot = 0; slot < this.slots.used; slot++) {
        if (this.slots.kinds[slot] !== EMPTY) yield this.recordAt(slot, false);
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
      for (const record of this.values()) if (hasValues(record, attributes)) found.push(record);
      return found;
    }
    for (const slot of slots) {
      const record = this.recordAt(slot, true);
      if (hasValues(record, attributes)) found.push(record);
    }
    if (this.objects.size > 0) for (const record of this.objects.search(attributes)) found.push(record);
    if (onlyKey) {
      if (this.recentKeys.size >= CACHED) this.recentKeys.clear();
      this.recentKeys.set(key!, found);
    }
    return [...found];
  }

  matches(record: UserSessionRecord, attributes: Partial<UserSessionRecord>): boolean {
    return hasValues(record, attributes);
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
      slot = this.slots.newSlot();
      this.live += 1;
    } else this.vacate(slot);
    const kind = this.packer.packRecord(slot, record);
    this.slots.kinds[slot] = kind;
    if (kind !== OBJECT) this.slots.index(slot);
    else {
      this.objects.put(record);
      this.objectSlot.set(record.id, slot);
      this.objectAt.set(slot, record.id);
      if (PACKED_ID.test(record.id)) this.objectPackedIds += 1;
    }
  }

  delete(id: string): void {
    const slot = this.slotOf(id);
    if (slot === -1) return;
    this.vacate(slot);
    this.live -= 1;
    if (!this.iterating && this.slots.used > 4096 && this.live * 2 < this.slots.used) this.rebuild();
  }

  /** The sessions (all, or one user's) oldest first, ordered as `oldestFirst` orders them but mostly without making text to compare. */
  oldestFirst(userId?: string): UserSessionRecord[] {
    let slots: number[] = [];
    if (userId === undefined) {
      for (let slot = 0; slot < this.slots.used; slot++) if (this.slots.kinds[slot] !== EMPTY) slots.push(slot);
    } else {
      slots = this.userSlots(userId);
      for (const record of this.objects.search({ user_id: userId })) slots.push(this.objectSlot.get(record.id)!);
    }
    const { kinds, times, bytes } = this.slots;
    const idAt = BYTE_AT[ID]!;
    slots.sort((a, b) => {
      const timeA = times[a * TIMES + CREATED]!;
      const timeB = times[b * TIMES + CREATED]!;
      // Packed, readable creation times compare as their fixed-width text does.
      if (kinds[a] === OBJECT || kinds[b] === OBJECT || Number.isNaN(timeA) || Number.isNaN(timeB)) return oldestFirst(this.recordAt(a, false), this.recordAt(b, false));
      if (timeA !== timeB) return timeA - timeB;
      for (let i = 0; i < BYTE_LENGTH[ID]!; i++) {
        const difference = bytes[a * SLOT_BYTES + idAt + i]! - bytes[b * SLOT_BYTES + idAt + i]!;
        if (difference !== 0) return difference;
      }
      return 0;
    });
    return slots.map((slot) => this.recordAt(slot, false));
  }

  /** The ids of the sessions created before `moment`, wherever they are stored: a copied or migrated file need not be in order. */
  idsCreatedBefore(moment: number): string[] {
    const { kinds, times } = this.slots;
    const ids: string[] = [];
    for (let slot = 0; slot < this.slots.used; slot++) {
      const kind = kinds[slot]!;
      if (kind === EMPTY) continue;
      const old = kind === OBJECT ? createdBefore(this.recordAt(slot, false), moment) : secondBefore(times[slot * TIMES + CREATED]!, moment);
      if (old) ids.push(this.idAt(slot));
    }
    return ids;
  }

  /** The ids of the sessions last used (or, never used, created) before `moment`. */
  idsUnusedSince(moment: number): string[] {
    const { kinds, times } = this.slots;
    const ids: string[] = [];
    for (let slot = 0; slot < this.slots.used; slot++) {
      const kind = kinds[slot]!;
      if (kind === EMPTY) continue;
      let idle: boolean;
      if (kind === OBJECT) idle = unusedSince(this.recordAt(slot, false), moment);
      else {
        const lastUse = times[slot * TIMES + LAST_USED]!;
        idle = secondBefore(Number.isNaN(lastUse) ? times[slot * TIMES + CREATED]! : lastUse, moment);
      }
      if (idle) ids.push(this.idAt(slot));
    }
    return ids;
  }

  // --- The snapshot scan: each record is packed straight into the next free slot ----------

  reserve(records: number): void {
    this.slots.reserve(records);
  }

  begin(): void {
    this.slots.makeRoom();
    this.packer.start(this.slots.used);
  }

  field(bytes: Uint8Array, nameStart: number, nameEnd: number, start: number, end: number): boolean {
    // Records mostly have the fields of the one before, in its order: that name is tried first.
    const field = fieldNamed(bytes, nameStart, nameEnd, this.packer.expectedField());
    return field !== -1 && this.packer.field(this.slots.used, field, bytes, start, end);
  }

  /**
   * A file holds one record per key, the last of each key as json.load reads it, and the store
   * one per id: so a record whose id was seen before replaces that one, in its place, whatever
   * the shape of either.
   */
  end(bytes: Uint8Array, keyStart: number, keyEnd: number): boolean {
    const kind = this.packer.finish();
    if (kind === -1) return false;
    const slot = this.slots.used;
    const idAt = slot * SLOT_BYTES + BYTE_AT[ID]!;
    // Stored under a key other than its id: handed over parsed (and refused there).
    if (!uuidBytes(bytes, keyStart, keyEnd, lookup, 0) || !sameBytes(lookup, 0, this.slots.bytes, idAt, BYTE_LENGTH[ID]!)) return false;
    const position = this.slots.idPosition(this.slots.bytes, idAt);
    if (this.slots.slotAtIdPosition(position) !== -1 || (this.objectPackedIds > 0 && this.objectSlot.has(this.slots.idText(slot)))) {
      this.slots.kinds[slot] = kind;
      const record = this.recordAt(slot, false);
      this.slots.kinds[slot] = EMPTY;
      this.put(record);
      return true;
    }
    this.slots.used += 1;
    this.live += 1;
    this.slots.kinds[slot] = kind;
    this.slots.index(slot, position);
    return true;
  }

  parsed(key: string, value: unknown): void {
    const record = recordOfSnapshot<UserSessionRecord>(key, value);
    // One key twice may hold records of two ids (json.load keeps the last), one id may come
    // under two keys: the whole parse of the file, which reads keys as json.load does, sorts it out.
    if (record.id !== key) throw new Error(`record ${JSON.stringify(key)} has another id`);
    this.put(record);
  }

  /** The record in the slot as an object, frozen; from the cache when `cache` and it is there. */
  private recordAt(slot: number, cache: boolean): UserSessionRecord {
    if (this.slots.kinds[slot] === OBJECT) return this.objects.get(this.objectAt.get(slot)!)!;
    const line = slot & (CACHED - 1);
    if (this.cacheSlot[line] === slot) return this.cacheRecord[line]!;
    const record = this.packer.unpack(slot);
    if (cache) {
      this.cacheSlot[line] = slot;
      this.cacheRecord[line] = record;
    }
    return record;
  }

  /** Takes the slot's record out of every index and cache, leaving the slot empty in its place. */
  private vacate(slot: number): void {
    const kind = this.slots.kinds[slot]!;
    if (kind === EMPTY) return;
    if (this.recentKeys.size > 0) this.forgetKey(kind === OBJECT ? this.recordAt(slot, false).session_id : this.slots.keyText(slot));
    this.slots.kinds[slot] = EMPTY;
    if (this.cacheSlot[slot & (CACHED - 1)] === slot) this.cacheSlot[slot & (CACHED - 1)] = -1;
    if (kind !== OBJECT) {
      this.slots.unindex(slot);
      return;
    }
    const id = this.objectAt.get(slot)!;
    if (PACKED_ID.test(id)) this.objectPackedIds -= 1;
    this.objects.delete(id);
    this.objectSlot.delete(id);
    this.objectAt.delete(slot);
  }

  private forgetKey(key: unknown): void {
    if (typeof key === "string") this.recentKeys.delete(key);
  }

  private idAt(slot: number): string {
    return this.slots.kinds[slot] === OBJECT ? this.objectAt.get(slot)! : this.slots.idText(slot);
  }

  private slotOf(id: string): number {
    const found = this.objectSlot.get(id);
    if (found !== undefined) return found;
    const bytes = utf8(id);
    return uuidBytes(bytes, 0, bytes.length, lookup, 0) ? this.slots.findId(lookup, 0) : -1;
  }

  private keyHolders(key: string): number[] {
    const bytes = utf8(key);
    return hexBytes(bytes, 0, bytes.length, lookup, 0, BYTE_LENGTH[KEY]!) ? this.slots.keyHolders(lookup, 0) : [];
  }

  private userSlots(userId: string): number[] {
    const bytes = utf8(userId);
    return uuidBytes(bytes, 0, bytes.length, lookup, 0) ? this.slots.userSlots(lookup, 0) : [];
  }

  /** Packs the live records anew, when removed slots outnumber them; strings no longer used go. */
  private rebuild(): void {
    const records = [...this.values()];
    this.clear();
    for (const record of records) this.put(record);
  }
}
