/**
 * Sessions in `.db_UserSession.json` as the original program reads and writes them: a file with
 * one id twice loads as Python's json.load reads it, and every rewrite leaves one key per record.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JsonFileSessionStore } from "../../../src/models/json-file/session-store.ts";
import type { UserSessionRecord } from "../../../src/models/user-session.ts";
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
