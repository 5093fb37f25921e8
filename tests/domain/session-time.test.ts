import { describe, expect, test } from "bun:test";
import { formatTimestamp } from "../../src/domain/base.ts";
import { latestMoment, latestMomentOf, secondBefore, secondsBelow, timestampsBelow } from "../../src/domain/session-time.ts";

const second = Date.UTC(2020, 0, 1, 0, 0, 10);

describe("latestMomentOf: a stored second is read as its last millisecond, never early", () => {
  test.each([
    ["2020-01-01T00:00:10", second + 999],
    ["2020-01-01 00:00:10", second + 999],
    ["2020-01-01T00:00:10.123456", second + 999],
  ])("%p", (stored, expected) => {
    expect(latestMomentOf(stored)).toBe(expected);
    expect(latestMoment(second)).toBe(expected);
  });

  test.each([["not a time"], [""], [null], [undefined], [12]])("unreadable: %p is NaN", (stored) => {
    expect(latestMomentOf(stored)).toBeNaN();
  });
});

describe("secondBefore and its bounds agree at the second's edge", () => {
  test.each([
    [second + 999, false],
    [second + 1000, true],
    [second, false],
    [second + 5000, true],
  ])("a session of …:10 before %p: %p", (moment, before) => {
    expect(secondBefore(second, moment)).toBe(before);
    expect(second < secondsBelow(moment)).toBe(before);
    expect(formatTimestamp(second) < timestampsBelow(moment)).toBe(before);
  });

  test("an unreadable second is before every moment", () => {
    expect(secondBefore(Number.NaN, 0)).toBe(true);
  });
});
