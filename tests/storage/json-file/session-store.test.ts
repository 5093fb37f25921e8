/**
 * Sessions in `.db_UserSession.json` as the original program reads and writes them: a file with
 * one id twice loads as Python's json.load reads it, and every rewrite leaves one key per record
 * and every string as it was, lone surrogates included.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JsonFileSessionStore } from "../../../src/storage/json-file/session-store.ts";
import type { UserSessionRecord } from "../../../src/domain/user-session.ts";
import { tempDir } from "../../helpers.ts";
import { topLevelKeys } from "./fixtures/top-level-keys.ts";

const key = () => Bun.SHA256.hash(crypto.randomUUID(), "hex") as string;
const user = "0b6a2b1e-53a1-4d8e-9b52-1f1f6c1f2a3b";
const session = (id: string = crypto.randomUUID()): UserSessionRecord => ({ id, created_at: "2026-12-01T10:00:00", updated_at: "2026-12-01T10:00:00", user_id: user, session_id: key() });
/** A copy the packed table keeps as an object: a field it has no place for. */
const unusual = (id: string) => ({ ...session(id), extra: "field" }) as UserSessionRecord;

/** The file with these [key, record] entries, in order, duplicates as given. */
function writeEntries(dir: string, entries: [string, object][]): void {
  writeFileSync(join(dir, ".db_UserSession.json"), `{${entries.map(([k, record]) => `${JSON.stringify(k)}: ${JSON.stringify(record)}`).join(", ")}}`);
}

const fileText = (dir: string) => readFileSync(join(dir, ".db_UserSession.json"), "utf8");

describe("a file holding one id twice", () => {
  const cases: [string, (id: string) => UserSessionRecord, (id: string) => UserSessionRecord][] = [
    ["an object, then packed", unusual, session],
    ["packed, then an object", session, unusual],
    ["packed twice", session, session],
    ["an object twice", unusual, unusual],
  ];
  for (const [name, makeFirst, makeSecond] of cases) {
    test(`${name}: the last copy stands alone; removing it ends it, also after a restart; no rewrite writes the id twice`, async () => {
      const dir = tempDir();
      const id = crypto.randomUUID();
      const [first, other, second] = [makeFirst(id), session(), makeSecond(id)];
      writeEntries(dir, [[id, first], [other.id, other], [id, second]]);
      const store = JsonFileSessionStore.open(dir, { liveFileMaxBytes: 0 });
      expect(store.count()).toBe(2);
      expect(store.findByKey(first.session_id)).toBeNull();
      expect(store.findByKey(second.session_id)).toEqual(second);
      expect((await store.list()).map((record) => record.id).sort()).toEqual([id, other.id].sort());
      expect(await store.remove(id)).toBe(true);
      expect(store.findByKey(second.session_id)).toBeNull();
      expect(await store.remove(id)).toBe(false);
      expect(store.count()).toBe(1);
      await store.close();
      expect(topLevelKeys(fileText(dir))).toEqual([other.id]);
      const reopened = JsonFileSessionStore.open(dir);
      expect(reopened.findByKey(first.session_id)).toBeNull();
      expect(reopened.findByKey(second.session_id)).toBeNull();
      expect(reopened.count()).toBe(1);
      await reopened.close();
    });

    test(`${name}: a rewrite after another write keeps the last copy, once, in the first one's place`, async () => {
      const dir = tempDir();
      const id = crypto.randomUUID();
      const [first, other, second, added] = [makeFirst(id), session(), makeSecond(id), session()];
      writeEntries(dir, [[id, first], [other.id, other], [id, second]]);
      const store = JsonFileSessionStore.open(dir, { liveFileMaxBytes: 0 });
      await store.create(added);
      await store.close();
      expect(topLevelKeys(fileText(dir))).toEqual([id, other.id, added.id]);
      expect(JSON.parse(fileText(dir))[id]).toEqual(second);
    });
  }
});

describe("strings survive a rewrite byte for byte", () => {
  const odd = ["x\ud800y", "\udfff", "a\udc00\ud800b", "\ud83d\ude00 \u00e9 \u2028 \u0000 \\ \""];

  test("a lone surrogate written as an escape in the file is written back as the same escape", async () => {
    const dir = tempDir();
    const records = odd.map((agent, i) => ({ ...session(), password_fingerprint: "a".repeat(32), last_used_at: "2026-12-01T11:00:00", client_address: i % 2 ? agent : "127.0.0.1", user_agent: agent }));
    writeEntries(dir, records.map((record) => [record.id, record]));
    expect(fileText(dir)).toContain('"x\\ud800y"');
    const store = JsonFileSessionStore.open(dir, { liveFileMaxBytes: 0 });
    for (const record of records) expect(store.findByKey(record.session_id)).toEqual(record);
    await store.create(session());
    await store.close();
    expect(fileText(dir)).toContain('"x\\ud800y"');
    expect(fileText(dir)).not.toContain("\ufffd");
    const reopened = JsonFileSessionStore.open(dir);
    for (const record of records) expect(reopened.findByKey(record.session_id)).toEqual(record);
    await reopened.close();
  });

  test("a session stored with a lone surrogate keeps it, through the journal and a rewrite", async () => {
    const dir = tempDir();
    const store = JsonFileSessionStore.open(dir, { liveFileMaxBytes: 0 });
    const records = odd.map((agent) => ({ ...session(), user_agent: agent, client_address: agent }));
    for (const record of records) await store.create(record);
    for (const record of records) expect(store.findByKey(record.session_id)).toEqual(record);
    const replayed = JsonFileSessionStore.open(dir);
    for (const record of records) expect(replayed.findByKey(record.session_id)).toEqual(record);
    await replayed.close();
    await store.close();
    expect(fileText(dir)).toContain('"x\\ud800y"');
    const reopened = JsonFileSessionStore.open(dir);
    for (const record of records) expect(reopened.findByKey(record.session_id)).toEqual(record);
    await reopened.close();
  });
});
