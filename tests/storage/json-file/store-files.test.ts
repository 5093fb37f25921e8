/** The journal, compaction and sharing a folder with another writer. */
import { describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BaseRecord } from "../../../src/domain/base.ts";
import { FileLock } from "../../../src/storage/json-file/file-lock.ts";
import { StoreLoadError, UniqueConstraintError } from "../../../src/storage/record-store.ts";
import { JsonFileStore } from "../../../src/storage/json-file/store.ts";
import { openUserStore } from "../../../src/storage/user-store.ts";
import { legacyUser, readOnDisk, tempDir } from "../../helpers.ts";
import { topLevelKeys } from "./fixtures/top-level-keys.ts";

interface Thing extends BaseRecord {
  name: string;
}
const thing = (id: string, name = `n${id}`): Thing => ({ id, created_at: "2020-01-01T00:00:00", updated_at: "2020-01-01T00:00:00", name });
/** The journal on its own: live rewrites of the data file off (they have tests of their own). */
const open = (dataDir: string, compactMinBytes?: number) => JsonFileStore.open<Thing>({ model: "Thing", dataDir, unique: ["name"], compactMinBytes, liveFileMaxBytes: 0 });
const journalOf = (dir: string) => join(dir, ".db_Thing.json.journal");

/** Waits until `check` passes (another writer's change arrives by file event), for at most `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  for (const started = Date.now(); Date.now() - started < ms; await Bun.sleep(5)) {
    if (await check()) return;
  }
  if (!(await check())) throw new Error(`condition not met in ${ms} ms`);
}

describe("journal", () => {
  test("a write costs one appended line, not a rewrite of the snapshot", async () => {
    const dir = tempDir();
    const store = open(dir);
    for (let i = 0; i < 50; i++) await store.save(thing(String(i)));
    await store.close();
    const snapshot = statSync(join(dir, ".db_Thing.json")).mtimeMs;
    const reopened = open(dir);
    await reopened.save(thing("new"));
    expect(statSync(join(dir, ".db_Thing.json")).mtimeMs).toBe(snapshot);
    const [header, ...entries] = readFileSync(journalOf(dir), "utf8").trim().split("\n");
    expect(JSON.parse(header!).journal).toMatch(/^[0-9a-f-]{36}$/);
    expect(entries.map((line) => JSON.parse(line))).toEqual([{ op: "put", record: thing("new") }]);
  });

  test("a torn last line (a crash mid-append) is ignored, then cut off by the next write", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.save(thing("1"));
    appendFileSync(journalOf(dir), '{"op":"put","record":{"id":"2","na');
    const reopened = open(dir);
    expect((await reopened.all()).map((t) => t.id)).toEqual(["1"]);
    await reopened.save(thing("3"));
    const lines = readFileSync(journalOf(dir), "utf8").split("\n").slice(1);
    expect(lines.map((line) => (line ? JSON.parse(line).record.id : ""))).toEqual(["1", "3", ""]);
    expect((await open(dir).all()).map((t) => t.id)).toEqual(["1", "3"]);
  });

  test("a corrupt complete line stops loading and names the journal; nothing is rewritten", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.save(thing("1"));
    appendFileSync(journalOf(dir), "null\ngarbage\n");
    await store.save(thing("2")).catch(() => {});
    const before = readFileSync(journalOf(dir), "utf8");
    expect(() => open(dir)).toThrow(StoreLoadError);
    expect(() => open(dir)).toThrow(journalOf(dir));
    expect(readFileSync(journalOf(dir), "utf8")).toBe(before);
  });

  test("the journal is folded into the snapshot once it outgrows it", async () => {
    const dir = tempDir();
    const store = open(dir, 2000);
    for (let i = 0; i < 40; i++) await store.save(thing(String(i)));
    expect(existsSync(join(dir, ".db_Thing.json"))).toBe(true);
    const snapshot = JSON.parse(readFileSync(join(dir, ".db_Thing.json"), "utf8"));
    expect(Object.keys(snapshot).length).toBeGreaterThan(10);
    expect(Object.keys(readOnDisk(dir, "Thing"))).toHaveLength(40);
    expect((await open(dir).all()).length).toBe(40);
  });

  test("replaying a journal already folded into the snapshot (a crash mid-compaction) changes nothing", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.save(thing("1"));
    await store.save(thing("2"));
    await store.remove("1");
    await store.save(thing("2", "renamed"));
    const journal = readFileSync(journalOf(dir), "utf8");
    await store.close();
    writeFileSync(journalOf(dir), journal);
    expect(await open(dir).all()).toEqual([thing("2", "renamed")]);
  });
});

describe("two writers on one folder", () => {
  test("each sees the other's writes without reopening", async () => {
    const dir = tempDir();
    const a = open(dir);
    const b = open(dir);
    await a.save(thing("from-a"));
    await eventually(async () => (await b.get("from-a")) !== null);
    await b.save(thing("from-b"));
    await eventually(async () => (await a.get("from-b")) !== null);
    await a.remove("from-b");
    await eventually(async () => (await b.get("from-b")) === null);
    await Promise.all([a.close(), b.close()]);
  });

  test("interleaved writes from both lose nothing", async () => {
    const dir = tempDir();
    const a = open(dir);
    const b = open(dir);
    await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).save(thing(String(i)))));
    expect(Object.keys(readOnDisk(dir, "Thing"))).toHaveLength(100);
    await eventually(async () => (await a.count()) === 100 && (await b.count()) === 100);
  });

  test("a unique value taken by the other writer is refused", async () => {
    const dir = tempDir();
    const a = open(dir);
    const b = open(dir);
    await a.save(thing("1", "taken"));
    // b has not necessarily seen the event yet: the check runs on the latest files, under the lock.
    await expect(b.save(thing("2", "taken"))).rejects.toBeInstanceOf(UniqueConstraintError);
  });

  test("a compaction by one is followed by the other", async () => {
    const dir = tempDir();
    const a = open(dir, 500);
    const b = open(dir);
    for (let i = 0; i < 30; i++) await a.save(thing(String(i)));
    await b.save(thing("b"));
    await eventually(async () => (await b.count()) === 31 && (await a.count()) === 31);
    expect(Object.keys(readOnDisk(dir, "Thing"))).toHaveLength(31);
  });

  test("a lock file left behind, empty or naming a dead process, does not hold up a write", async () => {
    for (const content of ["", `${Bun.spawnSync(["true"]).pid} stale`]) {
      const dir = tempDir();
      writeFileSync(join(dir, ".db_Thing.json.lock"), content);
      const store = open(dir);
      await store.save(thing("1"));
      expect(readOnDisk(dir, "Thing")).toEqual({ "1": thing("1") });
    }
  });
});

describe("files a store leaves alone, and leftovers it cleans up", () => {
  test("a store that only reads writes nothing when it closes: no compaction, no lock file", async () => {
    const dir = tempDir();
    const writer = open(dir);
    for (let i = 0; i < 5; i++) await writer.save(thing(String(i)));
    // The writer is still running (no compaction yet): its journal is what a reader sees.
    const before = { journal: readFileSync(journalOf(dir), "utf8"), snapshot: existsSync(join(dir, ".db_Thing.json")) };
    rmSync(join(dir, ".db_Thing.json.lock"), { force: true });
    const reader = open(dir);
    expect((await reader.all()).length).toBe(5);
    await reader.close();
    expect(readFileSync(journalOf(dir), "utf8")).toBe(before.journal);
    expect(existsSync(join(dir, ".db_Thing.json"))).toBe(before.snapshot);
    expect(existsSync(join(dir, ".db_Thing.json.lock"))).toBe(false);
    await writer.close();
  });

  test("opening removes the temporary snapshot of a compaction that a crash interrupted", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.save(thing("1"));
    await store.close();
    const leftover = join(dir, ".db_Thing.json.4242.0f8c-dead.tmp");
    writeFileSync(leftover, '{"1": {"id": "1"');
    const reopened = open(dir);
    expect(existsSync(leftover)).toBe(false);
    expect((await reopened.all()).map((t) => t.id)).toEqual(["1"]);
  });

  test("a leftover temporary file stays while another process holds the lock: it may be that one's", async () => {
    const dir = tempDir();
    const inUse = join(dir, ".db_Thing.json.4242.0f8c-busy.tmp");
    writeFileSync(inUse, "{");
    const other = new FileLock(join(dir, ".db_Thing.json.lock"));
    expect(other.tryAcquire()).toBe(true);
    open(dir);
    expect(existsSync(inUse)).toBe(true);
    other.close();
  });
});

describe("a small data file is kept current", () => {
  const live = (dataDir: string, liveFileMaxBytes?: number) => JsonFileStore.open<Thing>({ model: "Thing", dataDir, unique: ["name"], liveFileMaxBytes });
  const dataFile = (dir: string) => join(dir, ".db_Thing.json");

  test("every change is in the data file itself, in the original format, within a second", async () => {
    const dir = tempDir();
    const store = live(dir);
    await store.save(thing("1"));
    await store.save(thing("2"));
    await store.remove("1");
    const current = () => existsSync(dataFile(dir)) && JSON.stringify(JSON.parse(readFileSync(dataFile(dir), "utf8"))) === JSON.stringify({ "2": thing("2") });
    await eventually(current, 1000);
    expect(existsSync(journalOf(dir))).toBe(false);
    await store.close();
  });

  test("a burst of writes shares one rewrite", async () => {
    const dir = tempDir();
    const store = live(dir);
    await store.save(thing("first"));
    await eventually(() => existsSync(dataFile(dir)), 1000);
    // Inode numbers are reused once a replaced file is gone; with the mtime they tell files apart.
    const version = () => {
      const { ino, mtimeMs } = statSync(dataFile(dir));
      return `${ino}:${mtimeMs}`;
    };
    const rewrites = new Set<string>([version()]);
    const watching = setInterval(() => existsSync(dataFile(dir)) && rewrites.add(version()), 2);
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.save(thing(`burst-${i}`))));
    await eventually(() => !existsSync(journalOf(dir)), 1000);
    await Bun.sleep(100);
    clearInterval(watching);
    expect(rewrites.size).toBe(2); // the first file, then one rewrite for the 50
    expect(Object.keys(JSON.parse(readFileSync(dataFile(dir), "utf8")))).toHaveLength(51);
    await store.close();
  });

  test("above the bound, changes stay in the journal until it grows or the store closes", async () => {
    const dir = tempDir();
    const seeded = live(dir, 0);
    for (let i = 0; i < 20; i++) await seeded.save(thing(String(i)));
    await seeded.close();
    const size = statSync(dataFile(dir)).size;
    const store = live(dir, size - 1);
    await store.save(thing("new"));
    await Bun.sleep(600);
    expect(existsSync(journalOf(dir))).toBe(true);
    expect(JSON.parse(readFileSync(dataFile(dir), "utf8"))).not.toHaveProperty("new");
    await store.close();
    expect(JSON.parse(readFileSync(dataFile(dir), "utf8"))).toHaveProperty("new");
  });
});

describe("the original program's .db_User.json", () => {
  const userFile = (dir: string) => join(dir, ".db_User.json");
  const entries = (records: [string, object][]) => `{${records.map(([k, record]) => `${JSON.stringify(k)}: ${JSON.stringify(record)}`).join(", ")}}`;

  test("one id twice: the last copy, once, in the first one's place; removing it ends it for good; no rewrite writes it twice", async () => {
    const dir = tempDir();
    const first = legacyUser("first@hbtn.io", "pw");
    const other = legacyUser("other@hbtn.io", "pw");
    const second = { ...legacyUser("second@hbtn.io", "pw"), id: first.id, first_name: "Second" };
    writeFileSync(userFile(dir), entries([[first.id, first], [other.id, other], [first.id, second]]));
    const store = openUserStore(dir, { liveFileMaxBytes: 0 });
    expect(store.count()).toBe(2);
    expect((await store.all()).map((record) => record.email)).toEqual(["second@hbtn.io", "other@hbtn.io"]);
    expect(store.search({ email: "first@hbtn.io" })).toEqual([]);
    await store.save(legacyUser("first@hbtn.io", "pw"));
    await store.close();
    expect(topLevelKeys(readFileSync(userFile(dir), "utf8")).slice(0, 2)).toEqual([first.id, other.id]);
    expect(topLevelKeys(readFileSync(userFile(dir), "utf8"))).toHaveLength(3);
    const reopened = openUserStore(dir, { liveFileMaxBytes: 0 });
    expect(await reopened.remove(first.id)).toBe(true);
    await reopened.close();
    const again = openUserStore(dir);
    expect(again.get(first.id)).toBeNull();
    expect(again.count()).toBe(2);
    await again.close();
  });

  test("one key twice holding users with other ids: only the last, as json.load keeps the key's last value", async () => {
    const dir = tempDir();
    const [a, b, c] = [legacyUser("a@hbtn.io", "pw"), legacyUser("b@hbtn.io", "pw"), legacyUser("c@hbtn.io", "pw")];
    writeFileSync(userFile(dir), entries([[a.id, a], [b.id, b], [a.id, c]]));
    const store = openUserStore(dir, { liveFileMaxBytes: 0 });
    expect((await store.all()).map((record) => record.email)).toEqual(["c@hbtn.io", "b@hbtn.io"]);
    await store.close();
  });

  test("strings survive a rewrite byte for byte, lone surrogates included", async () => {
    const dir = tempDir();
    const odd = { ...legacyUser("odd\ud800@hbtn.io", "pw"), first_name: "x\ud800y", last_name: "\udfff\u00e9\u2028" };
    writeFileSync(userFile(dir), entries([[odd.id, odd]]));
    expect(readFileSync(userFile(dir), "utf8")).toContain('"x\\ud800y"');
    const store = openUserStore(dir, { liveFileMaxBytes: 0 });
    expect(store.get(odd.id)).toEqual(odd);
    await store.save(legacyUser("new@hbtn.io", "pw"));
    await store.close();
    expect(readFileSync(userFile(dir), "utf8")).toContain('"x\\ud800y"');
    const reopened = openUserStore(dir);
    expect(reopened.get(odd.id)).toEqual(odd);
    await reopened.close();
  });
});
