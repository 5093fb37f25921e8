import { describe, expect, test } from "bun:test";
import { joinHashes, newRecoveryCodes, normalizeRecoveryCode, splitHashes, withoutHash } from "../../../src/auth/factors/recovery-codes.ts";

describe("newRecoveryCodes", () => {
  test("ten distinct codes of 50 bits, xxxxx-xxxxx in lowercase base32", () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
  });

  test("every character of the alphabet turns up (no bias that leaves some out)", () => {
    const seen = new Set(Array.from({ length: 20 }, () => newRecoveryCodes().join("")).join("").replace(/-/g, ""));
    expect(seen.size).toBe(32);
  });
});

describe("normalizeRecoveryCode", () => {
  test.each([
    ["abcde-fghij", "abcdefghij"],
    ["ABCDE-FGHIJ", "abcdefghij"],
    [" abcde fghij ", "abcdefghij"],
    ["abcdefghij", "abcdefghij"],
    ["abcde-fghi", null],
    ["abcde-fghijk", null],
    ["abcde-fgh1j", null],
    ["abcde-fgh0j", null],
    ["", null],
  ])("%p → %p", (typed, stored) => {
    expect(normalizeRecoveryCode(typed)).toBe(stored);
  });
});

describe("the stored set", () => {
  test("joined and split back; null or empty is no codes", () => {
    expect(splitHashes(joinHashes(["a1", "b2"]))).toEqual(["a1", "b2"]);
    expect(splitHashes(null)).toEqual([]);
    expect(splitHashes("")).toEqual([]);
  });

  test("withoutHash takes one out, or says it was not there", () => {
    expect(withoutHash(["a1", "b2", "c3"], "b2")).toEqual(["a1", "c3"]);
    expect(withoutHash(["a1", "b2"], "d4")).toBeNull();
    expect(withoutHash([], "a1")).toBeNull();
  });
});
