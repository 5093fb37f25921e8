import { expect, test } from "bun:test";
import { formatTimestamp, newBaseRecord, parseTimestamp } from "../../src/models/base.ts";

test("timestamps are UTC YYYY-MM-DDTHH:MM:SS both ways", () => {
  const ms = Date.UTC(2017, 9, 16, 4, 23, 4);
  expect(formatTimestamp(ms)).toBe("2017-10-16T04:23:04");
  expect(parseTimestamp("2017-10-16T04:23:04")).toBe(ms);
  expect(parseTimestamp("2017-10-16 04:23:04")).toBe(ms);
  expect(parseTimestamp("2017-10-16T04:23:04.123456")).toBe(ms);
});

test("malformed timestamps parse as NaN", () => {
  for (const bad of ["", "yesterday", "2017-10-16", null, 42, undefined]) expect(parseTimestamp(bad)).toBeNaN();
});

test("a new record has a UUID v4 id and equal timestamps", () => {
  const record = newBaseRecord(() => Date.UTC(2020, 0, 1));
  expect(record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(record.created_at).toBe("2020-01-01T00:00:00");
  expect(record.updated_at).toBe(record.created_at);
});
