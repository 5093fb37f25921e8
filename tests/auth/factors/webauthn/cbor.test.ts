import { describe, expect, test } from "bun:test";
import { CborError, decodeCbor, decodeCborPrefix } from "../../../../src/auth/factors/webauthn/cbor.ts";
import { encodeCbor } from "./soft-authenticator.ts";

const hex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s/g, ""), "hex"));

describe("decodeCbor", () => {
  // RFC 8949 Appendix A examples within the subset.
  test.each([
    ["00", 0],
    ["17", 23],
    ["1818", 24],
    ["1903e8", 1000],
    ["1a000f4240", 1000000],
    ["1b001fffffffffffff", Number.MAX_SAFE_INTEGER],
    ["20", -1],
    ["3863", -100],
    ["390100", -257],
    ["f4", false],
    ["f5", true],
    ["f6", null],
    ["6161", "a"],
    ["62c3bc", "ü"],
    ["80", []],
    ["83010203", [1, 2, 3]],
  ])("%s", (input, expected) => {
    expect(decodeCbor(hex(input))).toEqual(expected as never);
  });

  test("byte strings and maps with integer and text keys", () => {
    expect(decodeCbor(hex("4401020304"))).toEqual(new Uint8Array([1, 2, 3, 4]));
    const map = decodeCbor(hex("a2 0102 6161 20")) as Map<unknown, unknown>;
    expect([...map]).toEqual([[1, 2], ["a", -1]]);
  });

  test.each([
    ["", "ends early"],
    ["18", "ends early"],
    ["1b0020000000000000", "too large"],
    ["5f", "indefinite"],
    ["9f01ff", "indefinite"],
    ["1c", "reserved"],
    ["c11a514b67b0", "tags"],
    ["f93c00", "floats"],
    ["f7", "simple"],
    ["f0", "simple"],
    ["62c3", "ends early"],
    ["61ff", "UTF-8"],
    ["a2 0101 0102", "duplicate"],
    ["a1 4101 01", "neither an integer nor text"],
    ["a1 8001 01", "neither an integer nor text"],
    ["0000", "trailing"],
    // A count far beyond the bytes left: refused before anything is allocated for it.
    ["9b 0000000100000000", "too many"],
    ["5a ffffffff", "ends early"],
  ])("refuses %s (%s)", (input, reason) => {
    expect(() => decodeCbor(hex(input))).toThrow(CborError);
    expect(() => decodeCbor(hex(input))).toThrow(new RegExp(reason));
  });

  test("nesting deeper than maxDepth is refused", () => {
    let deep: never = 0 as never;
    for (let i = 0; i < 9; i++) deep = [deep] as never;
    expect(() => decodeCbor(encodeCbor(deep))).toThrow(/nested too deeply/);
    expect(() => decodeCbor(new Uint8Array(100_000).fill(0x81))).toThrow(/nested too deeply/);
  });

  test("more items than maxItems are refused", () => {
    expect(decodeCbor(encodeCbor(new Array(1024).fill(0)))).toHaveLength(1024);
    expect(() => decodeCbor(encodeCbor(new Array(1025).fill(0)))).toThrow(/too many/);
    expect(() => decodeCbor(encodeCbor([1, 2, 3]), { maxItems: 2 })).toThrow(/too many/);
  });

  test("decodeCborPrefix says where the item ends", () => {
    expect(decodeCborPrefix(hex("83010203 ffff"))).toEqual({ value: [1, 2, 3], length: 4 });
  });

  test("random bytes never throw anything but CborError", () => {
    for (let i = 0; i < 3000; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(1 + (i % 40)));
      try {
        decodeCbor(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(CborError);
      }
    }
  });
});
