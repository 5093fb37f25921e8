/** Field orders: every order gets a number of its own and reads back as added, whatever the number of fields. */
import { describe, expect, test } from "bun:test";
import { FieldOrders } from "../../../../src/storage/json-file/packed/field-orders.ts";
import { Random } from "../../../../scripts/lib/random.ts";

/** Records here have up to forty fields. */
const FIELDS = 40;

/** Adds one record's fields and finishes it: its number, or null when a field repeats. */
function numberOf(orders: FieldOrders, fields: readonly number[]): number | null {
  orders.start();
  for (const field of fields) if (!orders.add(field)) return null;
  return orders.finish();
}

describe("FieldOrders", () => {
  const cases: [string, number[][]][] = [
    ["nine fields, as the session has", [[0, 1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1, 0], [0, 5, 1]]],
    ["a tenth field after the first, beside the second then the first", [[0, 9], [1, 0]]],
    ["twelve fields in an unusual order, beside orders whose digits run together", [[11, 0, 10, 3, 9, 1, 2, 4, 5, 6, 7, 8], [0, 10], [1, 0], [10], [0, 1], [11]]],
    ["a prefix of an order is an order of its own", [[3, 2, 1], [3, 2], [3], []]],
    ["forty fields, past a 32-bit mask", [Array.from({ length: 40 }, (_, i) => 39 - i), [32, 0], [0, 32]]],
  ];
  for (const [name, records] of cases) {
    test(name, () => {
      const orders = new FieldOrders(FIELDS, 250);
      const numbers = records.map((fields) => numberOf(orders, fields));
      expect(new Set(numbers).size).toBe(records.length);
      for (const [i, fields] of records.entries()) expect({ fields, read: orders.order(numbers[i]!) }).toEqual({ fields, read: fields });
      // Seen again, each order keeps its number.
      expect(records.map((fields) => numberOf(orders, fields))).toEqual(numbers);
    });
  }

  test("a field twice in one record is refused", () => {
    const orders = new FieldOrders(FIELDS, 250);
    expect(numberOf(orders, [10, 3, 10])).toBeNull();
    expect(numberOf(orders, [35, 3, 35])).toBeNull();
    expect(numberOf(orders, [10, 3])).toBe(0);
  });

  test("has: the fields of the record being added, and only those", () => {
    const orders = new FieldOrders(FIELDS, 250);
    numberOf(orders, [0, 1, 2]);
    orders.start();
    orders.add(33);
    orders.add(12);
    expect([0, 1, 2, 12, 33, 1].map((field) => orders.has(field))).toEqual([false, false, false, true, true, false]);
  });

  test("beyond max orders a new one is not numbered, the known ones still are", () => {
    const orders = new FieldOrders(FIELDS, 3);
    expect([[0], [1], [2]].map((fields) => numberOf(orders, fields))).toEqual([0, 1, 2]);
    expect(numberOf(orders, [3])).toBe(-1);
    expect(numberOf(orders, [0, 1])).toBe(-1);
    expect(numberOf(orders, [1])).toBe(1);
  });

  test("expected: the next field of the record before", () => {
    const orders = new FieldOrders(FIELDS, 250);
    numberOf(orders, [11, 4, 10]);
    orders.start();
    expect(orders.expected()).toBe(11);
    orders.add(11);
    expect(orders.expected()).toBe(4);
  });

  test("random orders of random subsets of 16 fields read back as added", () => {
    const random = new Random();
    const orders = new FieldOrders(FIELDS, 250);
    const seen = new Map<string, number>();
    for (let round = 0; round < 200; round++) {
      const fields = Array.from({ length: 16 }, (_, i) => i)
        .sort(() => random.next() - 0.5)
        .slice(0, random.int(17));
      const number = numberOf(orders, fields)!;
      expect({ seed: random.seed, fields, read: orders.order(number) }).toEqual({ seed: random.seed, fields, read: fields });
      const before = seen.get(fields.join());
      if (before !== undefined) expect(number).toBe(before);
      seen.set(fields.join(), number);
    }
  });
});
