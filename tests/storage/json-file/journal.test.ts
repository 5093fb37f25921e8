/** The journal on its own: its line format, appends, and reading what was appended since. */
import { expect, test } from "bun:test";
import { appendFileSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Journal, type JournalChange, journalLine, parseJournalText } from "../../../src/storage/json-file/journal.ts";
import { StoreLoadError } from "../../../src/storage/record-store.ts";
import { tempDir } from "../../helpers.ts";

type Item = { id: string; n: number };

const readAll = (journal: Journal) => {
  const changes: JournalChange<Item>[] = [];
  const outcome = journal.readNew<Item>((change) => changes.push(change));
  return { outcome, changes };
};

const put = (id: string, n = 1) => journalLine<Item>({ op: "put", record: { id, n } });

/** A journal in a new folder, one put appended, and a torn line after it. */
function journalWithTornTail(tail: string) {
  const dir = tempDir();
  const path = join(dir, "j");
  const writer = new Journal(path, dir);
  writer.append(put("a"));
  appendFileSync(path, tail);
  return { dir, path, writer };
}

test("parseJournalText: the header, puts and removes; a line that is not a change names its byte", () => {
  const text = `{"journal":"j-1"}\n${put("a")}\n${journalLine<Item>({ op: "remove", id: "a" })}`;
  const { journalId, changes } = parseJournalText<Item>("J", text, 0);
  expect(journalId).toBe("j-1");
  expect(changes).toEqual([{ op: "put", record: { id: "a", n: 1 } }, { op: "remove", id: "a" }]);
  expect(Object.isFrozen((changes[0] as { record: Item }).record)).toBe(true);
  expect(() => parseJournalText("J", `{"op":"put","record":{"id":"a"}}\nnot json\n`, 100)).toThrow(/J: corrupt entry near byte 1\d\d/);
  expect(() => parseJournalText("J", `{"op":"rename"}\n`, 0)).toThrow(StoreLoadError);
  // A header is only a header on the journal's first line.
  expect(() => parseJournalText("J", `{"journal":"j-2"}\n`, 40)).toThrow(/unknown entry/);
});

test("what one Journal appends, another reads, and only once", () => {
  const dir = tempDir();
  const path = join(dir, ".db_Item.json.journal");
  const writer = new Journal(path, dir);
  const reader = new Journal(path, dir);
  expect(readAll(reader)).toEqual({ outcome: "read", changes: [] });
  writer.append(put("a"));
  writer.append(journalLine<Item>({ op: "remove", id: "a" }));
  expect(readAll(reader).changes).toEqual([{ op: "put", record: { id: "a", n: 1 } }, { op: "remove", id: "a" }]);
  expect(readAll(reader).changes).toEqual([]);
  expect(reader.offset).toBe(writer.offset);
});

test("a torn last line waits until it is complete", () => {
  const { dir, path } = journalWithTornTail('{"op":"remove",');
  const reader = new Journal(path, dir);
  expect(readAll(reader).changes).toHaveLength(1);
  appendFileSync(path, '"id":"a"}\n');
  expect(readAll(reader).changes).toEqual([{ op: "remove", id: "a" }]);
});

test("an append cuts off a torn tail left by a writer that died", () => {
  const { dir, path, writer } = journalWithTornTail('{"op":"put","rec');
  writer.append(put("b", 2));
  expect(readAll(new Journal(path, dir)).changes.map((change) => (change as { record: Item }).record.id)).toEqual(["a", "b"]);
});

test("a journal deleted, shortened or replaced by another is reported as replaced", () => {
  const dir = tempDir();
  const path = join(dir, "j");
  const writer = new Journal(path, dir);
  writer.append(put("a"));
  const reader = new Journal(path, dir);
  readAll(reader);
  unlinkSync(path);
  expect(readAll(reader).outcome).toBe("replaced");
  reader.reset();
  const again = new Journal(path, dir);
  again.append(put("a"));
  readAll(reader);
  // Same length, other id: a new journal in the old one's place.
  writeFileSync(path, "");
  new Journal(path, dir).append(put("a"));
  expect(readAll(reader).outcome).toBe("replaced");
  truncateSync(path, 3);
  expect(readAll(reader).outcome).toBe("replaced");
});
