import { describe, expect, test } from "bun:test";
import { getCookie, parseCookies, serializeCookie } from "../../src/http/cookies.ts";

describe("parseCookies", () => {
  const cases: [string | null | undefined, Record<string, string>][] = [
    [undefined, {}],
    [null, {}],
    ["", {}],
    ["_my_session_id=Hello", { _my_session_id: "Hello" }],
    ["_my_session_id=C is fun", { _my_session_id: "C is fun" }],
    ["_my_session_id_fake", {}],
    ["a=1; b=2;c=3", { a: "1", b: "2", c: "3" }],
    ["  a = 1 ;  b=2  ", { a: "1", b: "2" }],
    ['q="quoted value"', { q: "quoted value" }],
    ['half="open', { half: '"open' }],
    ["a=1; a=2", { a: "1" }],
    ["flag; a=1", { a: "1" }],
    ["=novalue; a=1", { a: "1" }],
    ["a=; b=2", { a: "", b: "2" }],
    ["enc=%E2%9C%93%20ok", { enc: "✓ ok" }],
    ["bad=%E0%A4%A", { bad: "%E0%A4%A" }],
    ["pct=100%", { pct: "100%" }],
    ["eq=a=b=c", { eq: "a=b=c" }],
    [";;;", {}],
    ["a=1;;b=2", { a: "1", b: "2" }],
  ];
  for (const [header, expected] of cases) {
    test(`${JSON.stringify(header)}`, () => {
      expect(Object.fromEntries(parseCookies(header))).toEqual(expected);
    });
  }

  test("stops after a bounded number of pairs", () => {
    const header = Array.from({ length: 5000 }, (_, i) => `c${i}=${i}`).join("; ");
    const cookies = parseCookies(header);
    expect(cookies.size).toBeLessThanOrEqual(256);
    expect(cookies.get("c0")).toBe("0");
  });

  test("agrees with Bun.CookieMap on well-formed headers", () => {
    const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");
    for (let round = 0; round < 500; round++) {
      const pairs = Array.from({ length: 1 + Math.floor(Math.random() * 6) }, () => [pick(1 + Math.floor(Math.random() * 8)), pick(Math.floor(Math.random() * 20))] as const);
      const header = pairs.map(([name, value]) => `${name}=${value}`).join("; ");
      const ours = parseCookies(header);
      const bun = new Bun.CookieMap(header);
      for (const [name] of pairs) expect(ours.get(name)).toBe(bun.get(name) ?? undefined);
    }
  });
});

describe("getCookie", () => {
  test("finds the first value of one name", () => {
    expect(getCookie("x=1; _my_session_id=abc; _my_session_id=def", "_my_session_id")).toBe("abc");
  });
  test("null when absent or the header is missing", () => {
    expect(getCookie("_my_session_id_fake", "_my_session_id")).toBeNull();
    expect(getCookie("other=1", "_my_session_id")).toBeNull();
    expect(getCookie(null, "_my_session_id")).toBeNull();
  });
  test("does not match a name that only starts the same", () => {
    expect(getCookie("_my_session_id_x=1", "_my_session_id")).toBeNull();
  });
});

describe("serializeCookie", () => {
  test("name, value and attributes in order", () => {
    expect(serializeCookie("_my_session_id", "abc", { path: "/", httpOnly: true, sameSite: "Lax" })).toBe(
      "_my_session_id=abc; Path=/; HttpOnly; SameSite=Lax",
    );
    expect(serializeCookie("s", "v", { maxAge: 60, path: "/", secure: true })).toBe("s=v; Max-Age=60; Path=/; Secure");
    expect(serializeCookie("s", "", { maxAge: 0 })).toBe("s=; Max-Age=0");
  });
  const bad: [string, string, object][] = [
    ["bad name", "v", {}],
    ["n;x", "v", {}],
    ["", "v", {}],
    ["n", "v; Path=/evil", {}],
    ["n", "a b", {}],
    ["n", 'q"', {}],
    ["n", "v", { path: "/;Domain=evil" }],
    ["n", "v", { maxAge: 1.5 }],
  ];
  for (const [name, value, options] of bad) {
    test(`throws for ${JSON.stringify([name, value, options])}`, () => {
      expect(() => serializeCookie(name, value, options)).toThrow(TypeError);
    });
  }
});
