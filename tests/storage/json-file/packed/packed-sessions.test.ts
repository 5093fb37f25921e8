/**
 * The packed session table against MemoryIndex as the oracle: whatever is loaded or put, the
 * records that come back, their order, their fields' order and the lookups are the same.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatTimestamp } from "../../../../src/domain/base.ts";
import { parseSnapshot, readSnapshot } from "../../../../src/storage/json-file/format.ts";
import { MemoryIndex } from "../../../../src/storage/json-file/memory-index.ts";
import { PackedSessionTable } from "../../../../src/storage/json-file/packed/packed-sessions.ts";
import { scanSnapshot } from "../../../../src/storage/json-file/snapshot-scanner.ts";
import { StoreLoadError } from "../../../../src/storage/record-store.ts";
import { createdBefore, oldestFirst, unusedSince, type UserSessionRecord } from "../../../../src/domain/user-session.ts";
import { tempDir } from "../../../helpers.ts";

const key = () => Bun.SHA256.hash(crypto.randomUUID(), "hex") as string;
const user = "0b6a2b1e-53a1-4d8e-9b52-1f1f6c1f2a3b";

/** A session as the original program stored it, and one as session_db_auth stores it now. */
const original = (created = "2026-12-01T10:00:00"): UserSessionRecord => ({ id: crypto.randomUUID(), created_at: created, updated_at: created, user_id: user, session_id: key() });
const current = (created = "2026-12-01T10:00:00"): UserSessionRecord => ({
  ...original(created),
  password_fingerprint: "a".repeat(32),
  last_used_at: "2026-12-01T11:30:05",
  client_address: "127.0.0.1",
  user_agent: "Firefox 140 on Linux",
});

/** Records that do not fit the packed shape, each kept as it is. */
const unusual: Record<string, unknown>[] = [
  { ...original(), id: "not-a-uuid" },
  { ...original(), id: crypto.randomUUID().toUpperCase() },
  { ...original(), session_id: crypto.randomUUID() },
  { ...original(), session_id: key().toUpperCase() },
  { ...original(), created_at: "2026-12-01 10:00:00" },
  { ...original(), created_at: "2026-12-01T10:00:00.123456" },
  { ...original(), created_at: "2026-02-30T10:00:00" },
  { ...original(), created_at: null },
  { ...original(), extra: "field" },
  { ...original(), last_used_at: 12 },
  { ...current(), user_agent: 'quote " and \\ backslash' },
  { ...current(), user_agent: "ünïcödé ✓ 🙂" },
  { ...current(), client_address: null, user_agent: null, last_used_at: null },
  { ...current(), password_fingerprint: null },
  { ...current(), password_fingerprint: "A".repeat(32) },
  { ...current(), password_fingerprint: "abc" },
  { ...original(), user_id: "not-a-uuid" },
  { ...original(), user_id: null },
  { user_id: user, session_id: key(), id: crypto.randomUUID(), created_at: "2026-12-01T10:00:00", updated_at: "2026-12-01T10:00:00" },
  { created_at: "2026-12-01T10:00:00", session_id: key(), user_id: user },
  { ...original(), nested: { a: [1, 2, { b: "}" }] } },
];

/** The text of a data file: the writer's own shape, or Python's json.dump spacing. */
function fileText(records: object[], python = false): string {
  const body = (records as Record<string, unknown>[]).map((record, i) => {
    const id = typeof record.id === "string" ? record.id : `key-${i}`;
    const value = python ? JSON.stringify(record).replace(/","/g, '", "').replace(/":"/g, '": "').replace(/":null/g, '": null') : JSON.stringify(record);
    return `${JSON.stringify(id)}: ${value}`;
  });
  return `{${body.join(", ")}}`;
}

function loadBoth(text: string) {
  const path = join(tempDir(), ".db_UserSession.json");
  writeFileSync(path, text);
  const packed = new PackedSessionTable();
  const plain = new MemoryIndex<UserSessionRecord>(["session_id", "user_id"]);
  readSnapshot(path, packed);
  readSnapshot(path, plain);
  return { packed, plain, path };
}

/** The records as text, so that the order of each record's fields counts too. */
const asText = (records: Iterable<UserSessionRecord>) => [...records].map((record) => JSON.stringify(record));

describe("loading a data file", () => {
  test("every shape loads as the whole file's JSON.parse reads it, in the file's order, fields in their order", () => {
    const records = [original(), current(), ...unusual, original(), current()];
    for (const python of [false, true]) {
      const { packed, plain } = loadBoth(fileText(records, python));
      expect(packed.size).toBe(records.length);
      expect(asText(packed.values())).toEqual(asText(plain.values()));
      expect(asText(packed.values())).toEqual(asText(parseSnapshot<UserSessionRecord>("file", fileText(records, python))));
    }
  });

  test("lookups by id, session key and user find the same records as the plain index", () => {
    const records = [original(), current(), ...unusual, { ...current(), user_id: "someone-else" }];
    const { packed, plain } = loadBoth(fileText(records));
    for (const record of records) {
      if (typeof record.id === "string") expect(JSON.stringify(packed.get(record.id))).toBe(JSON.stringify(plain.get(record.id)));
      if (typeof record.session_id === "string") expect(asText(packed.search({ session_id: record.session_id }))).toEqual(asText(plain.search({ session_id: record.session_id })));
    }
    const byUser = (table: { search(a: Partial<UserSessionRecord>): UserSessionRecord[] }, id: string) => asText(table.search({ user_id: id })).sort();
    expect(byUser(packed, user)).toEqual(byUser(plain, user));
    expect(byUser(packed, "someone-else")).toHaveLength(1);
    expect(packed.get(crypto.randomUUID())).toBeNull();
    expect(packed.search({ session_id: key() })).toEqual([]);
    expect(packed.search({ session_id: "short" })).toEqual([]);
  });

  test("a record stored twice under one id: the later one, in the first one's place (as JSON.parse)", () => {
    const first = original();
    const second = { ...current(), id: first.id };
    const text = `{${JSON.stringify(first.id)}: ${JSON.stringify(first)}, "other": ${JSON.stringify(original())}, ${JSON.stringify(first.id)}: ${JSON.stringify(second)}}`;
    const { packed, plain } = loadBoth(text);
    expect(packed.size).toBe(2);
    expect(asText(packed.values())).toEqual(asText(plain.values()));
    expect(packed.search({ session_id: first.session_id })).toEqual([]);
    expect(packed.search({ session_id: second.session_id })[0]?.user_agent).toBe("Firefox 140 on Linux");
  });

  test("the scan gives the same records whatever the size of the chunks it reads", () => {
    const records = [...unusual, ...Array.from({ length: 40 }, (_, i) => (i % 2 ? original() : current()))];
    const path = join(tempDir(), ".db_UserSession.json");
    writeFileSync(path, ` \n${fileText(records, true)}\n `);
    const whole = parseSnapshot<UserSessionRecord>(path, readFileSync(path, "utf8"));
    for (const chunk of [1, 7, 64, 333, 4 << 20]) {
      const table = new PackedSessionTable();
      expect(scanSnapshot(path, table, chunk)).toBe(Buffer.byteLength(` \n${fileText(records, true)}\n `));
      expect(asText(table.values())).toEqual(asText(whole));
    }
  });

  test("a damaged file is refused with what JSON.parse says of it; an empty object is no records", () => {
    for (const text of ["", "{", '{"a": {"id": "x"}', '{"a": {"id": "x"},}', '{"a": {"id": "x"}} trailing', "[]", '{"a": 1}', '{"a": {"id": "x" "b": 1}}']) {
      const path = join(tempDir(), ".db_UserSession.json");
      writeFileSync(path, text);
      expect(() => readSnapshot(path, new PackedSessionTable())).toThrow(StoreLoadError);
    }
    expect(loadBoth("{ }").packed.size).toBe(0);
  });
});

describe("changes", () => {
  test("random puts, changes and deletes: the same records and lookups as the plain index, through growth and repacking", () => {
    const packed = new PackedSessionTable();
    const plain = new MemoryIndex<UserSessionRecord>(["session_id", "user_id"]);
    const ids: string[] = [];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const users = [user, crypto.randomUUID(), crypto.randomUUID()];
    for (let step = 0; step < 12_000; step++) {
      const roll = random(100);
      if (roll < 55 || ids.length === 0) {
        const created = formatTimestamp(Date.UTC(2026, 11, 1) + random(5) * 1000);
        const base = random(4) === 0 ? (unusual[random(unusual.length)] as unknown as UserSessionRecord) : random(2) ? original(created) : current(created);
        const record = { ...base, id: random(10) === 0 ? `odd-${step}` : crypto.randomUUID(), user_id: users[random(3)]! };
        ids.push(record.id);
        packed.put(Object.freeze(record));
        plain.put(Object.freeze(record));
      } else if (roll < 70) {
        const id = ids[random(ids.length)]!;
        const before = plain.get(id);
        if (before) {
          const changed = Object.freeze({ ...before, last_used_at: formatTimestamp(1_700_000_000_000 + random(1e9) * 1000), user_id: users[random(3)]! });
          packed.put(changed);
          plain.put(changed);
        }
      } else {
        // Deletes outnumber puts for a while, so that removed slots pile up and are packed away.
        const id = ids.splice(random(ids.length), 1)[0]!;
        packed.delete(id);
        plain.delete(id);
      }
      if (step % 1000 === 999 || step === 11_999) {
        expect(packed.size).toBe(plain.size);
        expect(asText(packed.values())).toEqual(asText(plain.values()));
        for (const id of ids.slice(0, 50)) {
          const record = plain.get(id);
          expect(JSON.stringify(packed.get(id))).toBe(JSON.stringify(record));
          if (record && typeof record.session_id === "string") expect(asText(packed.search({ session_id: record.session_id })).sort()).toEqual(asText(plain.search({ session_id: record.session_id })).sort());
        }
        for (const id of users) expect(asText(packed.search({ user_id: id })).sort()).toEqual(asText(plain.search({ user_id: id })).sort());
        expect(asText(packed.oldestFirst())).toEqual(asText([...plain.values()].sort(oldestFirst)));
        for (const id of users) expect(asText(packed.oldestFirst(id))).toEqual(asText(plain.search({ user_id: id }).sort(oldestFirst)));
      }
      if (step === 6000) for (const id of ids.splice(0, Math.floor(ids.length * 0.8))) (packed.delete(id), plain.delete(id));
    }
  });

  test("after clear (a reload from the files) nothing of the old records is found, and their ids and keys take new records", () => {
    for (const size of [10, 3000]) {
      const table = new PackedSessionTable();
      const old = Array.from({ length: size }, () => current());
      for (const record of old) table.put(record);
      table.clear();
      for (const record of old) expect(table.get(record.id)).toBeNull();
      expect(table.search({ user_id: user })).toEqual([]);
      // The same ids again, some with other keys: each once, in the new order.
      const again = old.map((record, i) => (i % 2 ? { ...record, session_id: key() } : record)).reverse();
      for (const record of again) table.put(record);
      expect(table.size).toBe(size);
      expect(asText(table.values())).toEqual(asText(again));
      expect(table.search({ user_id: user })).toHaveLength(size);
      for (const record of again) expect(table.search({ session_id: record.session_id }).map((found) => found.id)).toEqual([record.id]);
    }
  });

  test("records sharing a session key are found in the order they were stored, in every process", () => {
    const shared = key();
    const records = Array.from({ length: 40 }, (_, i) => ({ ...(i % 2 ? original() : current()), session_id: shared }));
    const table = new PackedSessionTable();
    for (const record of records) table.put(record);
    expect(table.search({ session_id: shared }).map((record) => record.id)).toEqual(records.map((record) => record.id));
  });

  test("a record asked for twice is the same frozen object until it changes", () => {
    const table = new PackedSessionTable();
    const record = current();
    table.put(record);
    const found = table.search({ session_id: record.session_id })[0]!;
    expect(Object.isFrozen(found)).toBe(true);
    expect(table.get(record.id)).toBe(found);
    table.put({ ...record, last_used_at: "2026-12-02T00:00:00" });
    expect(table.get(record.id)?.last_used_at).toBe("2026-12-02T00:00:00");
  });
});

test("timestamps come back as they were written, every day of four centuries' edges and leap days", () => {
  const table = new PackedSessionTable();
  const moments = [Date.UTC(1000, 0, 1), Date.UTC(1969, 11, 31, 23, 59, 59), 0, Date.UTC(2000, 1, 29, 12), Date.UTC(2024, 1, 29), Date.UTC(2100, 1, 28, 23, 59, 59), Date.UTC(9999, 11, 31, 23, 59, 59)];
  for (let day = 0; day < 1461; day++) moments.push(Date.UTC(2023, 0, 1) + day * 86_400_000 + ((day * 7919) % 86_400) * 1000);
  for (const moment of moments) {
    const record = original(formatTimestamp(moment));
    table.put(record);
    expect(table.get(record.id)?.created_at).toBe(formatTimestamp(moment));
  }
});

test("sessions created before, or unused since, a moment: the same as the record functions say", () => {
  const table = new PackedSessionTable();
  const records: UserSessionRecord[] = [];
  for (let i = 0; i < 200; i++) {
    // Stored out of order, as a copied or migrated file may be.
    const created = formatTimestamp(Date.UTC(2026, 11, 1) + ((i * 37) % 200) * 60_000);
    const base = i % 3 === 0 ? original(created) : current(created);
    const record = i % 5 === 0 ? { ...base, last_used_at: formatTimestamp(Date.UTC(2026, 11, 1) + (200 - i) * 60_000) } : i % 7 === 0 ? { ...base, created_at: "unreadable" } : base;
    records.push(record);
    table.put(record);
  }
  for (const moment of [Date.UTC(2026, 11, 1), Date.UTC(2026, 11, 1) + 50 * 60_000 + 999, Date.UTC(2026, 11, 1) + 120 * 60_000, Date.UTC(2027, 0, 1)]) {
    expect(table.idsCreatedBefore(moment)).toEqual(records.filter((record) => createdBefore(record, moment)).map((record) => record.id));
    expect(table.idsUnusedSince(moment)).toEqual(records.filter((record) => unusedSince(record, moment)).map((record) => record.id));
  }
});

describe("one id twice in a file: the last copy, in the first one's place, as Python's json.load reads it", () => {
  /** Each way a copy can be read and kept: scanned and packed (two layouts), parsed and packed, or kept as an object (three ways). */
  const shapes: Record<string, (id: string) => UserSessionRecord> = {
    packed: (id) => ({ ...original(), id }),
    "packed, another layout": (id) => ({ ...current(), id }),
    "object (another field)": (id) => ({ ...original(), id, extra: "field" }) as UserSessionRecord,
    "object (a timestamp in another format)": (id) => ({ ...original(), id, created_at: "2026-12-01 10:00:00" }),
    "parsed, then packed (an escaped string)": (id) => ({ ...current(), id, user_agent: 'quote " here' }),
    "object (a nested value)": (id) => ({ ...original(), id, nested: { a: [1] } }) as unknown as UserSessionRecord,
  };

  for (const [firstShape, makeFirst] of Object.entries(shapes)) {
    for (const [secondShape, makeSecond] of Object.entries(shapes)) {
      test(`first ${firstShape}, then ${secondShape}: one live record, and a delete ends it`, () => {
        const id = crypto.randomUUID();
        const first = makeFirst(id);
        const second = makeSecond(id);
        const others = [original(), current()];
        const text = `{${JSON.stringify(id)}: ${JSON.stringify(first)}, ${JSON.stringify(others[0]!.id)}: ${JSON.stringify(others[0])}, ${JSON.stringify(id)}: ${JSON.stringify(second)}, ${JSON.stringify(others[1]!.id)}: ${JSON.stringify(others[1])}}`;
        const { packed } = loadBoth(text);
        expect(packed.size).toBe(3);
        expect(asText(packed.values())).toEqual([JSON.stringify(second), ...others.map((record) => JSON.stringify(record))]);
        expect(JSON.stringify(packed.get(id))).toBe(JSON.stringify(second));
        expect(packed.search({ session_id: first.session_id }).map((record) => JSON.stringify(record))).toEqual(first.session_id === second.session_id ? [JSON.stringify(second)] : []);
        expect(packed.search({ session_id: second.session_id })).toHaveLength(1);
        expect(packed.search({ user_id: user }).filter((record) => record.id === id)).toHaveLength(1);
        packed.delete(id);
        expect(packed.size).toBe(2);
        expect(packed.get(id)).toBeNull();
        expect(packed.search({ session_id: first.session_id })).toEqual([]);
        expect(packed.search({ session_id: second.session_id })).toEqual([]);
        expect(asText(packed.values())).toEqual(others.map((record) => JSON.stringify(record)));
        expect(asText(packed.oldestFirst()).sort()).toEqual(others.map((record) => JSON.stringify(record)).sort());
      });
    }
  }

  test("random files of repeated ids and keys, in every shape: the same records, in the same order, as the whole file's JSON.parse", () => {
    const makers = Object.values(shapes);
    for (let round = 0; round < 200; round++) {
      const ids = Array.from({ length: 4 }, () => crypto.randomUUID());
      const entries: string[] = [];
      for (let i = 0; i < 1 + Math.floor(Math.random() * 8); i++) {
        const id = ids[Math.floor(Math.random() * ids.length)]!;
        const key = Math.random() < 0.15 ? ids[Math.floor(Math.random() * ids.length)]! : id;
        entries.push(`${JSON.stringify(key)}: ${JSON.stringify(makers[Math.floor(Math.random() * makers.length)]!(id))}`);
      }
      const { packed, plain } = loadBoth(`{${entries.join(", ")}}`);
      expect(asText(packed.values())).toEqual(asText(plain.values()));
      for (const id of ids) {
        const record = plain.get(id);
        expect(JSON.stringify(packed.get(id))).toBe(JSON.stringify(record));
        packed.delete(id);
        expect(packed.get(id)).toBeNull();
        if (record) expect(packed.search({ session_id: record.session_id })).toEqual([]);
      }
      expect(packed.size).toBe(0);
    }
  });

  test("one key twice holding records with other ids: only the last record, as json.load keeps only the key's last value", () => {
    const [a, b, c] = [original(), current(), original()];
    for (const key of [a.id, "not-an-id", c.id]) {
      const text = `{${JSON.stringify(key)}: ${JSON.stringify(a)}, ${JSON.stringify(b.id)}: ${JSON.stringify(b)}, ${JSON.stringify(key)}: ${JSON.stringify(c)}}`;
      const { packed, plain } = loadBoth(text);
      expect(asText(plain.values())).toEqual([JSON.stringify(c), JSON.stringify(b)]);
      expect(asText(packed.values())).toEqual(asText(plain.values()));
      expect(packed.get(a.id)).toBeNull();
      expect(packed.search({ session_id: a.session_id })).toEqual([]);
    }
  });
});
