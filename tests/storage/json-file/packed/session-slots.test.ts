/**
 * The hash tables of the packed slots: whatever the ids look like (random, sequential, UUIDv7,
 * ids from another system sharing a prefix), they spread over the table, so that loading is
 * linear in the number of sessions. Counted, not timed.
 */
import { describe, expect, test } from "bun:test";
import { uuidBytes } from "../../../../src/storage/json-file/packed/byte-codecs.ts";
import { hashOf } from "../../../../src/storage/json-file/packed/session-slots.ts";
import { randomIds, sequentialIds, uuidV7Ids } from "../../../../scripts/lib/id-shapes.ts";

const COUNT = 1 << 16;

/** `count` ids of one shape as their 16 bytes, one after another. */
function idBytes(count: number, idAt: (i: number) => string): Uint8Array {
  const bytes = new Uint8Array(count * 16);
  const text = new TextEncoder();
  for (let i = 0; i < count; i++) {
    const id = text.encode(idAt(i));
    if (!uuidBytes(id, 0, id.length, bytes, i * 16)) throw new Error(`not a UUID: ${idAt(i)}`);
  }
  return bytes;
}

const hex = (value: number, digits: number) => value.toString(16).padStart(digits, "0").slice(-digits);

const series = (make: () => () => string) => {
  const next = make();
  const ids = Array.from({ length: COUNT }, next);
  return (i: number) => ids[i]!;
};
const shapes: Record<string, (i: number) => string> = {
  random: series(randomIds),
  "sequential (a prefix, then a counter in the last bytes)": series(sequentialIds),
  "counting from zero": (i) => `00000000-0000-0000-0000-${hex(i, 12)}`,
  "counting in the middle bytes": (i) => `0b6a2b1e-53a1-4d8e-${hex(i, 4)}-1f1f6c1f2a3b`,
  "UUIDv7, 1,000 a millisecond": series(() => uuidV7Ids(1000)),
  "UUIDv7, all in one millisecond": series(() => uuidV7Ids(COUNT)),
};

/** Inserts every id into a linear-probing table twice their number (as the slots' tables are): the probes it took. */
function probes(bytes: Uint8Array, count: number): { total: number; longest: number } {
  let size = 1;
  while (size < count * 2) size *= 2;
  const table = new Uint8Array(size);
  const mask = size - 1;
  let total = 0;
  let longest = 0;
  for (let i = 0; i < count; i++) {
    let run = 1;
    let at = hashOf(bytes, i * 16, 16) & mask;
    while (table[at] !== 0) {
      at = (at + 1) & mask;
      run += 1;
    }
    table[at] = 1;
    total += run;
    longest = Math.max(longest, run);
  }
  return { total, longest };
}

describe("the id hash spreads ids of every shape over the table", () => {
  for (const [name, idAt] of Object.entries(shapes)) {
    test(`${name}: about as few probes as random hashing takes (1.5 a record at half full)`, () => {
      const { total, longest } = probes(idBytes(COUNT, idAt), COUNT);
      // Random hashing at half full: 1.5 probes on average, runs of a few dozen at most.
      expect(total / COUNT).toBeLessThan(2);
      expect(longest).toBeLessThan(200);
    });
  }

  test("ids that differ in any one byte hash apart, in the low bits a table uses", () => {
    const base = new Uint8Array(16 * 256);
    for (let at = 0; at < 16; at++) {
      for (let value = 0; value < 256; value++) {
        base.fill(0x5a, value * 16, value * 16 + 16);
        base[value * 16 + at] = value;
      }
      const buckets = new Set<number>();
      for (let value = 0; value < 256; value++) buckets.add(hashOf(base, value * 16, 16) & 0xffff);
      expect(buckets.size).toBeGreaterThan(250);
    }
  });

  test("session keys (32 bytes) that differ only in their last bytes hash apart", () => {
    const keys = new Uint8Array(32 * 4096);
    for (let i = 0; i < 4096; i++) {
      keys.fill(0xab, i * 32, i * 32 + 30);
      keys[i * 32 + 30] = i >> 8;
      keys[i * 32 + 31] = i & 0xff;
    }
    const buckets = new Set<number>();
    for (let i = 0; i < 4096; i++) buckets.add(hashOf(keys, i * 32, 32) & 0xffff);
    expect(buckets.size).toBeGreaterThan(3900);
  });
});
