/**
 * Where packed sessions live: how each field is packed, and the slots themselves, typed arrays
 * with a hash table on the id, one on the session key and one on the user (whose sessions are
 * chained). Knows slots and bytes, not records: PackedSessionTable puts records in and out.
 */
import { SESSION_FIELDS } from "../../../domain/user-session.ts";
import { hexText, sameBytes, uuidText } from "./byte-codecs.ts";

export type Field = (typeof SESSION_FIELDS)[number];
export type Codec = "uuid" | "hex" | "time" | "text";

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
  factors: "text",
};
/** How many bytes each field of the byte codecs takes (hex: half its characters). */
const BYTE_LENGTHS: Partial<Record<Field, number>> = { id: 16, session_id: 32, user_id: 16, password_fingerprint: 16 };

export const FIELDS = SESSION_FIELDS;
export const CODEC: Codec[] = FIELDS.map((field) => CODECS[field]);
/** Each time or text field's column among those of its codec. */
export const COLUMN: number[] = FIELDS.map((field) => FIELDS.filter((other) => CODECS[other] === CODECS[field]).indexOf(field));
export const TIMES = FIELDS.filter((field) => CODECS[field] === "time").length;
export const TEXTS = FIELDS.filter((field) => CODECS[field] === "text").length;
export const ID = FIELDS.indexOf("id");
export const KEY = FIELDS.indexOf("session_id");
export const USER = FIELDS.indexOf("user_id");
export const CREATED = COLUMN[FIELDS.indexOf("created_at")]!;
export const LAST_USED = COLUMN[FIELDS.indexOf("last_used_at")]!;
/** Where each byte field sits among a slot's bytes (-1: not a byte field), and its length. */
export const BYTE_LENGTH: number[] = FIELDS.map((field) => BYTE_LENGTHS[field] ?? 0);
export const BYTE_AT: number[] = BYTE_LENGTH.map((length, i) => (length === 0 ? -1 : BYTE_LENGTH.slice(0, i).reduce((sum, before) => sum + before, 0)));
export const SLOT_BYTES = BYTE_LENGTH.reduce((sum, length) => sum + length, 0);
const ID_AT = BYTE_AT[ID]!;
const KEY_AT = BYTE_AT[KEY]!;
const USER_AT = BYTE_AT[USER]!;
const ID_LENGTH = BYTE_LENGTH[ID]!;
const KEY_LENGTH = BYTE_LENGTH[KEY]!;
const USER_LENGTH = BYTE_LENGTH[USER]!;

/** Slot kinds: empty (removed), kept as an object, or packed with layout number kind - FIRST_LAYOUT. */
export const EMPTY = 0;
export const OBJECT = 1;
export const FIRST_LAYOUT = 2;

const FIELD_BYTES = FIELDS.map((field) => new TextEncoder().encode(field));

/** The index of the field whose name has these bytes, or -1; `expected` is tried first. */
export function fieldNamed(bytes: Uint8Array, start: number, end: number, expected?: number): number {
  const length = end - start;
  if (expected !== undefined && FIELD_BYTES[expected]!.length === length && sameBytes(FIELD_BYTES[expected]!, 0, bytes, start, length)) return expected;
  for (let field = 0; field < FIELD_BYTES.length; field++) {
    const name = FIELD_BYTES[field]!;
    if (name.length === length && sameBytes(name, 0, bytes, start, length)) return field;
  }
  return -1;
}

export class SessionSlots {
  capacity = 0;
  /** Slots used so far, removed ones included: the order of first puts. */
  used = 0;
  kinds = new Uint8Array(0);
  /** Each slot's byte fields, SLOT_BYTES apiece. */
  bytes = new Uint8Array(0);
  times = new Float64Array(0);
  texts = new Uint32Array(0);
  /** Each packed slot's neighbours among its user's sessions (-1: none). */
  private userPrev = new Int32Array(0);
  private userNext = new Int32Array(0);
  /** Open addressing (linear probing) on the id and on the key bytes: slot + 1, 0 empty. */
  private idTable = new Int32Array(0);
  private keyTable = new Int32Array(0);
  /** The same on the user id bytes: the user's newest packed slot + 1. */
  private userTable = new Int32Array(0);

  constructor(capacity = 1024) {
    this.grow(capacity);
  }

  /** Room for at least `slots` slots in all. */
  reserve(slots: number): void {
    if (slots > this.capacity) this.grow(slots);
  }

  /** Makes sure the slot after the last used one exists (the scan packs a record there before taking it). */
  makeRoom(): void {
    if (this.used === this.capacity) this.grow(this.capacity * 2);
  }

  newSlot(): number {
    this.makeRoom();
    return this.used++;
  }

  /** Where the id table holds the slot of the id with the 16 bytes at bytes[at…], or the free place where it would go. */
  idPosition(bytes: Uint8Array, at: number): number {
    return position(this.idTable, this.bytes, ID_AT, bytes, at, ID_LENGTH);
  }

  /** The packed slot of the id with these bytes, or -1. */
  findId(bytes: Uint8Array, at: number): number {
    return this.slotAtIdPosition(this.idPosition(bytes, at));
  }

  /** The slot an idPosition holds, or -1 when it is free. */
  slotAtIdPosition(position: number): number {
    return this.idTable[position]! - 1;
  }

  /** The packed slots holding the session key with the 32 bytes at bytes[at…]. */
  keyHolders(bytes: Uint8Array, at: number): number[] {
    const holders: number[] = [];
    const mask = this.keyTable.length - 1;
    for (let i = hashOf(bytes, at, KEY_LENGTH) & mask; ; i = (i + 1) & mask) {
      const entry = this.keyTable[i]!;
      if (entry === 0) return holders;
      if (sameBytes(this.bytes, (entry - 1) * SLOT_BYTES + KEY_AT, bytes, at, KEY_LENGTH)) holders.push(entry - 1);
    }
  }

  /** The packed slots of the user with the 16 id bytes at bytes[at…], in the order they were stored. */
  userSlots(bytes: Uint8Array, at: number): number[] {
    const slots: number[] = [];
    const head = this.userTable[position(this.userTable, this.bytes, USER_AT, bytes, at, USER_LENGTH)]! - 1;
    for (let slot = head; slot !== -1; slot = this.userNext[slot]!) slots.push(slot);
    return slots.sort((a, b) => a - b);
  }

  idText(slot: number): string {
    return uuidText(this.bytes, slot * SLOT_BYTES + ID_AT);
  }

  keyText(slot: number): string {
    return hexText(this.bytes, slot * SLOT_BYTES + KEY_AT, BYTE_LENGTH[KEY]!);
  }

  /** Enters a packed slot in the three tables (at `idPosition` in the id table, when known). */
  index(slot: number, idPosition = this.idPosition(this.bytes, slot * SLOT_BYTES + ID_AT)): void {
    const at = slot * SLOT_BYTES;
    this.idTable[idPosition] = slot + 1;
    insert(this.keyTable, slot, hashOf(this.bytes, at + KEY_AT, KEY_LENGTH));
    // The newest session of its user heads the user's chain.
    const user = position(this.userTable, this.bytes, USER_AT, this.bytes, at + USER_AT, USER_LENGTH);
    const head = this.userTable[user]! - 1;
    this.userPrev[slot] = -1;
    this.userNext[slot] = head;
    if (head !== -1) this.userPrev[head] = slot;
    this.userTable[user] = slot + 1;
  }

  /** Takes a packed slot out of the three tables (its bytes are still there). */
  unindex(slot: number): void {
    const at = slot * SLOT_BYTES;
    const hashAt = (offset: number, length: number) => (other: number) => hashOf(this.bytes, other * SLOT_BYTES + offset, length);
    remove(this.idTable, slot, hashOf(this.bytes, at + ID_AT, ID_LENGTH), hashAt(ID_AT, ID_LENGTH));
    remove(this.keyTable, slot, hashOf(this.bytes, at + KEY_AT, KEY_LENGTH), hashAt(KEY_AT, KEY_LENGTH));
    const prev = this.userPrev[slot]!;
    const next = this.userNext[slot]!;
    if (next !== -1) this.userPrev[next] = prev;
    if (prev !== -1) this.userNext[prev] = next;
    else if (next !== -1) this.userTable[position(this.userTable, this.bytes, USER_AT, this.bytes, at + USER_AT, USER_LENGTH)] = next + 1;
    // The user's last session: the user leaves the table (the chain head's bytes name it).
    else remove(this.userTable, slot, hashOf(this.bytes, at + USER_AT, USER_LENGTH), hashAt(USER_AT, USER_LENGTH));
  }

  private grow(capacity: number): void {
    const copy = <A extends Uint8Array | Int32Array | Uint32Array | Float64Array>(old: A, make: (n: number) => A, width: number): A => {
      const next = make(capacity * width);
      next.set(old.subarray(0, Math.min(old.length, capacity * width)));
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
    if (size === this.idTable.length) return;
    this.idTable = new Int32Array(size);
    this.keyTable = new Int32Array(size);
    this.userTable = new Int32Array(size);
    for (let slot = 0; slot < this.used; slot++) {
      const kind = this.kinds[slot]!;
      if (kind === EMPTY || kind === OBJECT) continue;
      insert(this.idTable, slot, hashOf(this.bytes, slot * SLOT_BYTES + ID_AT, ID_LENGTH));
      insert(this.keyTable, slot, hashOf(this.bytes, slot * SLOT_BYTES + KEY_AT, KEY_LENGTH));
      // A chain's head stands for its user.
      if (this.userPrev[slot] === -1) insert(this.userTable, slot, hashOf(this.bytes, slot * SLOT_BYTES + USER_AT, USER_LENGTH));
    }
  }
}

/** Where `table` holds the slot whose field at `offset` has the bytes at bytes[at…], or the free place for it. */
function position(table: Int32Array, slots: Uint8Array, offset: number, bytes: Uint8Array, at: number, length: number): number {
  const mask = table.length - 1;
  for (let i = hashOf(bytes, at, length) & mask; ; i = (i + 1) & mask) {
    const entry = table[i]!;
    if (entry === 0 || sameBytes(slots, (entry - 1) * SLOT_BYTES + offset, bytes, at, length)) return i;
  }
}

/** Per process, so that no file of ids can be made to collide in every process. */
const SEED = crypto.getRandomValues(new Uint32Array(1))[0]!;

/**
 * A 32-bit hash of the `length` bytes at `at` (a multiple of 4): MurmurHash3's mix over every
 * byte. Ids that share most of their bytes (sequential ids, UUIDv7, another system's prefix)
 * still spread over the whole table, so that loading stays linear.
 */
export function hashOf(bytes: Uint8Array, at: number, length: number): number {
  let h = SEED;
  for (let i = at; i < at + length; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= length;
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
