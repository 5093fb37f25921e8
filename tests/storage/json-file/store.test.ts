import { describe, expect, spyOn, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BaseRecord } from "../../../src/domain/base.ts";
import { StoreLoadError, StoreWriteError, UniqueConstraintError } from "../../../src/storage/record-store.ts";
import { JsonFileStore } from "../../../src/storage/json-file/store.ts";
import { JIT_WORTHY_BYTES } from "../../../src/jit-policy.ts";
import { readOnDisk, tempDir } from "../../helpers.ts";

interface Thing extends BaseRecord {
  name: string;
  colour: string;
}

const thing = (id: string, name: string, colour = "red"): Thing => ({ id, created_at: "2020-01-01T00:00:00", updated_at: "2020-01-01T00:00:00", name, colour });
const open = (dataDir: string) => JsonFileStore.open<Thing>({ model: "Thing", dataDir, indexes: ["colour"], unique: ["name"] });

describe("JsonFileStore", () => {
  test("save, get, all, count, search, remove", async () => {
    const store = open(tempDir());
    await store.save(thing("1", "a"));
    await store.save(thing("2", "b", "blue"));
    await store.save(thing("3", "c"));
    expect(await store.count()).toBe(3);
    expect((await store.get("2"))?.name).toBe("b");
    expect(await store.get("nope")).toBeNull();
    expect((await store.all()).map((t) => t.id)).toEqual(["1", "2", "3"]);
    expect((await store.search({ colour: "red" })).map((t) => t.id)).toEqual(["1", "3"]);
    expect((await store.search({ colour: "red", name: "c" })).map((t) => t.id)).toEqual(["3"]);
    expect((await store.search({ colour: "green" })).length).toBe(0);
    expect((await store.search({})).length).toBe(3);
    expect(await store.remove("1")).toBe(true);
    expect(await store.remove("1")).toBe(false);
    expect((await store.search({ colour: "red" })).map((t) => t.id)).toEqual(["3"]);
  });

  test("lookups answer without a promise: every record is in memory", async () => {
    const store = open(tempDir());
    await store.save(thing("1", "a"));
    await store.save(thing("2", "b", "blue"));
    const found = store.get("2");
    expect(found).not.toBeInstanceOf(Promise);
    expect(found?.name).toBe("b");
    expect(store.get("nope")).toBeNull();
    const searched = store.search({ colour: "blue" });
    expect(searched).not.toBeInstanceOf(Promise);
    expect(searched.map((t) => t.id)).toEqual(["2"]);
  });

  test("an update moves the record in its indexes", async () => {
    const store = open(tempDir());
    await store.save(thing("1", "a"));
    await store.save({ ...thing("1", "a"), colour: "blue" });
    expect(await store.search({ colour: "red" })).toEqual([]);
    expect((await store.search({ colour: "blue" })).map((t) => t.id)).toEqual(["1"]);
  });

  test("a write is on disk (in the journal) when save() resolves", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.save(thing("1", "a"));
    expect(readOnDisk(dir, "Thing")).toEqual({ "1": thing("1", "a") });
    await store.remove("1");
    expect(readOnDisk(dir, "Thing")).toEqual({});
  });

  test("close() leaves the original program's format: one object, id → record, and no journal", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.save(thing("1", "a"));
    await store.save(thing("2", "b"));
    await store.remove("2");
    await store.close();
    expect(JSON.parse(readFileSync(join(dir, ".db_Thing.json"), "utf8"))).toEqual({ "1": thing("1", "a") });
    expect(existsSync(join(dir, ".db_Thing.json.journal"))).toBe(false);
    // The lock file stays (flock locks the file, not its existence) and holds nothing.
    expect(readFileSync(join(dir, ".db_Thing.json.lock"), "utf8")).toBe("");
  });

  test("what one store wrote, a new one reads", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.save(thing("1", "a"));
    await store.save(thing("2", "b", "blue"));
    await store.remove("1");
    const again = open(dir);
    expect(await again.all()).toEqual([thing("2", "b", "blue")]);
    expect((await again.search({ colour: "blue" })).length).toBe(1);
  });

  test("concurrent writes share flushes and all land", async () => {
    const dir = tempDir();
    const store = open(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.save(thing(String(i), `n${i}`))));
    expect(Object.keys(readOnDisk(dir, "Thing")).length).toBe(200);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("a data file or journal over JIT_WORTHY_BYTES gets the usual JIT before it loads; smaller ones leave the start-up policy", async () => {
    const scales: number[] = [];
    const policy = spyOn(Bun.unsafe, "setJITPolicy").mockImplementation((scale) => void scales.push(scale));
    try {
      const records = (count: number) => Array.from({ length: count }, (_, i) => thing(String(i), `${"n".repeat(1000)}${i}`));
      const large = tempDir();
      writeFileSync(join(large, ".db_Thing.json"), JSON.stringify(Object.fromEntries(records(1100).map((r) => [r.id, r]))));
      expect(readFileSync(join(large, ".db_Thing.json")).length).toBeGreaterThan(JIT_WORTHY_BYTES);
      expect(open(large).count()).toBe(1100);
      expect(scales).toEqual([1]);

      scales.length = 0;
      const small = tempDir();
      const writer = open(small);
      for (const record of records(900)) await writer.save(record);
      await writer.close({ compact: false });
      expect(open(small).count()).toBe(900);
      expect(scales).toEqual([]);

      // Only a journal: no compaction and no live rewrite fold it in.
      const journalled = tempDir();
      const appender = JsonFileStore.open<Thing>({ model: "Thing", dataDir: journalled, compactMinBytes: 1 << 30, liveFileMaxBytes: 0 });
      for (const record of records(1100)) await appender.save(record);
      await appender.close({ compact: false });
      expect(existsSync(join(journalled, ".db_Thing.json"))).toBe(false);
      expect(readFileSync(join(journalled, ".db_Thing.json.journal")).length).toBeGreaterThan(JIT_WORTHY_BYTES);
      expect(open(journalled).count()).toBe(1100);
      expect(scales).toEqual([1]);
    } finally {
      policy.mockRestore();
    }
  });

  test("records are frozen so that only save() changes them", async () => {
    const store = open(tempDir());
    await store.save(thing("1", "a"));
    const record = (await store.get("1"))!;
    expect(() => {
      (record as Thing).name = "changed";
    }).toThrow();
  });

  test("unique fields refuse a second holder but allow re-saving the same record", async () => {
    const store = open(tempDir());
    await store.save(thing("1", "a"));
    await expect(store.save(thing("2", "a"))).rejects.toBeInstanceOf(UniqueConstraintError);
    await store.save({ ...thing("1", "a"), colour: "blue" });
    expect(await store.count()).toBe(1);
  });

  test("a missing file is an empty store and is not created until a write", async () => {
    const dir = tempDir();
    const store = open(dir);
    expect(await store.count()).toBe(0);
    expect(existsSync(join(dir, ".db_Thing.json"))).toBe(false);
  });

  const corrupt: [string, string, RegExp][] = [
    ["truncated", '{"1": {"id": "1", "name": "a"', /not valid JSON/],
    ["an array", "[]", /expected a JSON object/],
    ["null", "null", /expected a JSON object/],
    ["a record that is not an object", '{"1": 5}', /record "1" is not a JSON object/],
  ];
  for (const [label, content, message] of corrupt) {
    test(`a ${label} file stops loading, names the file, and stays untouched`, () => {
      const dir = tempDir();
      const path = join(dir, ".db_Thing.json");
      writeFileSync(path, content);
      let error: unknown;
      try {
        open(dir);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StoreLoadError);
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).toMatch(message);
      expect(readFileSync(path, "utf8")).toBe(content);
    });
  }

  test("a failed write rejects, changes nothing in memory, and the store recovers", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.save(thing("1", "a"));
    await store.close();
    const reopened = open(dir);
    // A folder where the journal goes makes the append fail, even for root.
    const journal = join(dir, ".db_Thing.json.journal");
    mkdirSync(journal);
    await expect(reopened.save(thing("2", "b"))).rejects.toBeInstanceOf(StoreWriteError);
    await expect(reopened.remove("1")).rejects.toBeInstanceOf(StoreWriteError);
    expect((await reopened.all()).map((t) => t.id)).toEqual(["1"]);
    expect(await reopened.search({ name: "b" })).toEqual([]);
    rmSync(journal, { recursive: true });
    await reopened.save(thing("3", "c"));
    expect(Object.keys(readOnDisk(dir, "Thing")).sort()).toEqual(["1", "3"]);
  });
});
