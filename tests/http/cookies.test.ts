import { describe, expect, test } from "bun:test";
import { getCookie, parseCookies, serializeCookie } from "../../src/http/cookies.ts";
import { Random } from "../../scripts/lib/random.ts";

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
    // `flag;` segments (no `=`) are skipped wherever they are, and never swallow the pair after them.
    ["a; b; c=3", { c: "3" }],
    ["a=1; flag; b=2", { a: "1", b: "2" }],
    ["a=1; flag", { a: "1" }],
    ["a=b;c", { a: "b" }],
    ["x; y=1=2; z", { y: "1=2" }],
    ["\ta\t=\t1\t", { a: "1" }],
    ["flag; a=1; flag; a=2", { a: "1" }],
    ["a=%zz; b=%41", { a: "%zz", b: "A" }],
    ['a=""', { a: "" }],
  ];
  for (const [header, expected] of cases) {
    test(`${JSON.stringify(header)}`, () => {
      expect(Object.fromEntries(parseCookies(header))).toEqual(expected);
    });
  }

  test("reads every pair of a long header: no count past which the answer changes", () => {
    const header = Array.from({ length: 5000 }, (_, i) => `c${i}=${i}`).join("; ");
    const cookies = parseCookies(header);
    expect(cookies.size).toBe(5000);
    expect(cookies.get("c0")).toBe("0");
    expect(cookies.get("c4999")).toBe("4999");
  });

  test("agrees with splitting on `;` (jshttp/cookie's backtracking) on random headers", () => {
    const random = new Random();
    for (let round = 0; round < 300; round++) {
      const header = randomHeader(random);
      expect({ seed: random.seed, header, cookies: Object.fromEntries(parseCookies(header)) }).toEqual({
        seed: random.seed,
        header,
        cookies: splitModel(header),
      });
    }
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
    expect(getCookie("x_my_session_id=1", "_my_session_id")).toBeNull();
  });

  test("finds the session cookie after 300 flag segments, as parseCookies does", () => {
    const header = `${"flag; ".repeat(300)}_my_session_id=abc`;
    expect(getCookie(header, "_my_session_id")).toBe("abc");
    expect(parseCookies(header).get("_my_session_id")).toBe("abc");
  });

  test("finds the session cookie after 300 other cookies and 300 flags", () => {
    const header = `${Array.from({ length: 300 }, (_, i) => `c${i}=${i}; f${i}`).join("; ")}; _my_session_id=abc`;
    expect(getCookie(header, "_my_session_id")).toBe("abc");
    expect(parseCookies(header).get("_my_session_id")).toBe("abc");
  });

  test("agrees with parseCookies on random headers, for names present and absent", () => {
    const random = new Random();
    for (let round = 0; round < 300; round++) {
      const header = randomHeader(random);
      const cookies = parseCookies(header);
      for (const name of [...cookies.keys(), ...NAMES]) {
        expect({ seed: random.seed, header, name, value: getCookie(header, name) }).toEqual({
          seed: random.seed,
          header,
          name,
          value: cookies.get(name) ?? null,
        });
      }
    }
  });
});

/** Few names, so that repeats are common; pieces that trip scanners: flags, `=`, quotes, `%`. */
const NAMES = ["a", "b", "_my_session_id", "_my_session_id_x", "sid"];
const VALUE_PIECES = ["1", "abc", "", " ", "\t", "=", '"', "%41", "%E2%9C%93", "%zz", "%", ";", "é", "🔑"];

function randomHeader(random: Random): string {
  const segments: string[] = [];
  const count = random.int(12);
  for (let i = 0; i < count; i++) {
    const pad = random.pick(["", " ", "  ", "\t"]);
    switch (random.int(5)) {
      case 0:
        // A run of flag segments, sometimes past 256.
        segments.push(`${pad}flag${pad}${";flag".repeat(random.chance(0.2) ? 300 : random.int(4))}`);
        break;
      case 1:
        segments.push(`${pad}=${random.pick(VALUE_PIECES)}`);
        break;
      default: {
        const value = Array.from({ length: random.int(4) }, () => random.pick(VALUE_PIECES)).join("");
        segments.push(`${pad}${random.pick(NAMES)}${pad}=${pad}${random.chance(0.2) ? `"${value}"` : value}${pad}`);
      }
    }
  }
  return segments.join(random.pick([";", "; "]));
}

/** The reference: each `;`-separated segment with a `=` is a pair, trimmed of spaces and tabs. */
function splitModel(header: string): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const segment of header.split(";")) {
    const equals = segment.indexOf("=");
    if (equals === -1) continue;
    const name = segment.slice(0, equals).replace(/^[ \t]+|[ \t]+$/g, "");
    let value = segment.slice(equals + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (name === "" || Object.hasOwn(cookies, name)) continue;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value.includes("%")) {
      try {
        value = decodeURIComponent(value);
      } catch {}
    }
    cookies[name] = value;
  }
  return cookies;
}

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
