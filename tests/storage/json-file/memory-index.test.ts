/** The in-memory index on its own: no files, no lock, no watcher. */
import { expect, test } from "bun:test";
import type { BaseRecord } from "../../../src/domain/base.ts";
import { MemoryIndex } from "../../../src/storage/json-file/memory-index.ts";

interface Item extends BaseRecord {
  key: string | null;
  tag: string;
}

const item = (id: string, key: string | null, tag = "t"): Item => ({ id, created_at: "", updated_at: "", key, tag });

test("search by an indexed field, with or without further attributes; by others, a scan", () => {
  const index = new MemoryIndex<Item>(["key"]);
  for (const record of [item("1", "a"), item("2", "b", "x"), item("3", "b"), item("4", null)]) index.put(record);
  expect(index.search({ key: "a" }).map((r) => r.id)).toEqual(["1"]);
  expect(index.search({ key: "b" }).map((r) => r.id)).toEqual(["2", "3"]);
  expect(index.search({ key: "b", tag: "x" }).map((r) => r.id)).toEqual(["2"]);
  expect(index.search({ tag: "t" }).map((r) => r.id)).toEqual(["1", "3", "4"]);
  expect(index.search({ key: null }).map((r) => r.id)).toEqual(["4"]);
  expect(index.search({ key: "none" })).toEqual([]);
  expect(index.holders("key", "b")).toEqual(["2", "3"]);
});

test("putting a record again moves it in the index and keeps its place in the order", () => {
  const index = new MemoryIndex<Item>(["key"]);
  index.put(item("1", "a"));
  index.put(item("2", "b"));
  index.put(item("1", "c"));
  expect(index.search({ key: "a" })).toEqual([]);
  expect(index.search({ key: "c" }).map((r) => r.id)).toEqual(["1"]);
  expect([...index.values()].map((r) => r.id)).toEqual(["1", "2"]);
  expect(index.size).toBe(2);
});

test("delete and replace leave no stale index entry", () => {
  const index = new MemoryIndex<Item>(["key"]);
  index.put(item("1", "a"));
  index.put(item("2", "a"));
  index.delete("1");
  expect(index.holders("key", "a")).toEqual(["2"]);
  index.delete("missing");
  index.clear();
  index.put(item("3", "z"));
  expect(index.get("2")).toBeNull();
  expect(index.search({ key: "a" })).toEqual([]);
  expect(index.holders("key", "z")).toEqual(["3"]);
});
