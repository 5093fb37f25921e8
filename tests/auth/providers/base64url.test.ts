import { describe, expect, test } from "bun:test";
import { decodeBase64Url, encodeBase64Url, randomToken } from "../../../src/auth/providers/base64url.ts";

describe("decodeBase64Url", () => {
  test.each([
    ["", []],
    ["AA", [0]],
    ["AAE", [0, 1]],
    ["_-8", [0xff, 0xef]],
  ])("%p decodes", (text, bytes) => {
    expect([...decodeBase64Url(text)!]).toEqual(bytes);
  });

  test.each([
    ["padding", "AA=="],
    ["the standard alphabet's +", "a+b"],
    ["the standard alphabet's /", "a/b"],
    ["a length that is no length", "AAAAA"],
    ["white space", "AA AA"],
    ["non-zero unused bits (a second spelling of the same bytes)", "AB"],
    ["a dot", "a.b"],
  ])("refuses %s", (_, text) => {
    expect(decodeBase64Url(text)).toBeNull();
  });

  test("round-trips every byte value", () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect([...decodeBase64Url(encodeBase64Url(bytes))!]).toEqual([...bytes]);
  });
});

test("randomToken gives 43 characters of the alphabet for 32 bytes, differently each time", () => {
  const one = randomToken();
  expect(one).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(randomToken()).not.toBe(one);
});
