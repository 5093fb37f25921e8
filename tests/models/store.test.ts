import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BaseRecord } from "../../src/models/base.ts";
import { JsonFileStore, StoreLoadError, StoreWriteError, UniqueConstraintError } from "../../src/models/store.ts";
import { tempDir } from "../helpers.ts";

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

  test("an update moves the record in its indexes", async () => {
    const store = open(tempDir());
    await store.save(thing("1", "a"));
    await store.save({ ...thing("1", "a"), colour: "blue" });
    expect(await store.search({ colour: "red" })).toEqual([]);
    expect((await store.search({ colour: "blue" })).map((t) => t.id)).toEqual(["1"]);
  });

  test("writes the original program's format: one object, id → record", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.save(thing("1", "a"));
    const onDisk = JSON.parse(readFileSync(join(dir, ".db_Thing.json"), "utf8"));
    expect(onDisk).toEqual({ "1": thing("1", "a") });
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
    expect(Object.keys(JSON.parse(readFileSync(join(dir, ".db_Thing.json"), "utf8"))).length).toBe(200);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
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

  test("a failed write rejects, rolls memory back, and leaves no temp file", async () => {
    const dir = tempDir();
    const store = open(dir);
    await store.save(thing("1", "a"));
    // A non-empty folder where the data file goes makes the rename fail, even for root.
    const path = join(dir, ".db_Thing.json");
    rmSync(path);
    mkdirSync(path);
    writeFileSync(join(path, "keep"), "");
    await expect(store.save(thing("2", "b"))).rejects.toBeInstanceOf(StoreWriteError);
    await expect(store.remove("1")).rejects.toBeInstanceOf(StoreWriteError);
    expect((await store.all()).map((t) => t.id)).toEqual(["1"]);
    expect(await store.search({ name: "b" } as Partial<Thing>)).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    // Once the disk is usable again, the next write succeeds with the rolled-back state.
    rmSync(path, { recursive: true });
    await store.save(thing("3", "c"));
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8"))).sort()).toEqual(["1", "3"]);
  });
});
