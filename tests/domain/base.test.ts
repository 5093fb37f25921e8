import { expect, test } from "bun:test";
import { formatTimestamp, newBaseRecord, parseTimestamp } from "../../src/domain/base.ts";

test("timestamps are UTC YYYY-MM-DDTHH:MM:SS both ways", () => {
  const ms = Date.UTC(2017, 9, 16, 4, 23, 4);
  expect(formatTimestamp(ms)).toBe("2017-10-16T04:23:04");
  expect(parseTimestamp("2017-10-16T04:23:04")).toBe(ms);
  expect(parseTimestamp("2017-10-16 04:23:04")).toBe(ms);
  expect(parseTimestamp("2017-10-16T04:23:04.123456")).toBe(ms);
});

test("malformed timestamps parse as NaN", () => {
  for (const bad of ["", "yesterday", "2017-10-16", null, 42, undefined, "2017-10-16X04:23:04", "2017/10/16T04:23:04", "2017-10-16T04:23:0a", "2017-10-16T04:23:04.", "2017-10-16T04:23:04.5x", "2017-10-16T04:23:04Z", "20x7-10-16T04:23:04"]) {
    expect([bad, parseTimestamp(bad)]).toEqual([bad, Number.NaN]);
  }
});

test("parseTimestamp agrees with the regular-expression definition on generated inputs", () => {
  const reference = (text: string) => {
    const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(text);
    if (!match) return Number.NaN;
    const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
    return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  };
  const chars = "0123456789-T :.xZ";
  for (let i = 0; i < 20000; i++) {
    const base = formatTimestamp(Date.UTC(1970 + (i % 100), i % 12, 1 + (i % 28), i % 24, i % 60, (i * 7) % 60));
    const mutated = i % 3 === 0 ? base : i % 3 === 1 ? `${base}.${"123456".slice(0, i % 7)}` : base.slice(0, i % 19) + chars[i % chars.length] + base.slice((i % 19) + 1);
    expect([mutated, parseTimestamp(mutated)]).toEqual([mutated, reference(mutated)]);
  }
});

test("a new record has a UUID v4 id and equal timestamps", () => {
  const record = newBaseRecord(() => Date.UTC(2020, 0, 1));
  expect(record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(record.created_at).toBe("2020-01-01T00:00:00");
  expect(record.updated_at).toBe(record.created_at);
});
