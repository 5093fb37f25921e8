/** Property tests: the parsers never throw, stay within their caps, and round-trip what they should. */
import { describe, expect, test } from "bun:test";
import { BasicAuth } from "../../src/auth/basic-auth.ts";
import { getCookie, parseCookies, serializeCookie } from "../../src/http/cookies.ts";
import { parseForm } from "../../src/http/forms.ts";
import { Router } from "../../src/http/router.ts";
import { openUserStore } from "../../src/storage/user-store.ts";
import { tempDir } from "../helpers.ts";
import { Random } from "../../scripts/lib/random.ts";

const ROUNDS = 3000;
const random = new Random();
console.log(`fuzz seed ${random.seed}`);

describe("cookie parser", () => {
  test("never throws, reads at most one pair per `=`, and getCookie agrees with parseCookies", () => {
    for (let i = 0; i < ROUNDS; i++) {
      const header = random.nasty(40);
      const cookies = parseCookies(header);
      expect(cookies.size).toBeLessThanOrEqual(header.split("=").length - 1);
      for (const [name, value] of cookies) {
        expect(typeof value).toBe("string");
        expect(getCookie(header, name)).toBe(value);
      }
    }
    expect(parseCookies("a=b;".repeat(100_000)).size).toBe(1);
    expect(getCookie(`${"flag;".repeat(100_000)}sid=x`, "sid")).toBe("x");
  });

  test("what serializeCookie accepts, parseCookies reads back", () => {
    const valueChars = "abcXYZ019!#$&'()*+-./:<=>?@[]^_`{|}~";
    for (let i = 0; i < ROUNDS; i++) {
      const value = Array.from({ length: random.int(30) }, () => random.pick([...valueChars])).join("");
      const setCookie = serializeCookie("sid", value, { path: "/", httpOnly: true });
      const pair = setCookie.slice(0, setCookie.indexOf("; Path"));
      const decoded = value.includes("%") ? parseCookies(pair).get("sid") : value;
      expect(parseCookies(`other=1; ${pair}`).get("sid")).toBe(decoded!);
    }
  });

  test("serializeCookie refuses every value that could break the header", () => {
    for (let i = 0; i < ROUNDS; i++) {
      const value = random.nasty(6);
      let setCookie: string | null = null;
      try {
        setCookie = serializeCookie("sid", value);
      } catch {
        continue;
      }
      expect(setCookie).not.toMatch(/[;\s,"\\\0]/);
    }
  });
});

describe("form parser", () => {
  test("never throws and agrees with URLSearchParams on hostile bodies", () => {
    for (let i = 0; i < ROUNDS; i++) {
      const body = random.nasty(30);
      const ours = parseForm(body);
      // The constructor drops one leading "?" (a query-string nicety); the prefix keeps the body whole.
      const reference = new URLSearchParams(`?${body}`);
      for (const name of new Set(reference.keys())) expect(ours.get(name)).toBe(reference.get(name)!);
    }
  });

  test("round-trips whatever URLSearchParams encodes", () => {
    for (let i = 0; i < ROUNDS; i++) {
      const fields = new Map(Array.from({ length: 1 + random.int(5) }, () => [random.text(10), random.text(30)] as const));
      const body = new URLSearchParams([...fields]).toString();
      const parsed = parseForm(body);
      for (const [name, value] of fields) expect(parsed.get(name)).toBe(value);
    }
  });
});

describe("Basic header decoding", () => {
  const auth = new BasicAuth({ users: openUserStore(tempDir()), sessionName: "s", sessionDuration: 0, clock: Date.now });

  test("never throws; decodes exactly valid base64 of UTF-8", () => {
    for (let i = 0; i < ROUNDS; i++) {
      const input = random.nasty(20);
      const decoded = auth.decodeBase64AuthorizationHeader(input);
      if (decoded === null) continue;
      expect(input.length % 4).toBe(0);
      expect(Buffer.from(input, "base64").toString("utf8")).toBe(decoded);
    }
  });

  test("round-trips any email:password", () => {
    for (let i = 0; i < ROUNDS; i++) {
      const email = random.text(20).replaceAll(":", "");
      const password = random.text(30);
      const header = `Basic ${Buffer.from(`${email}:${password}`, "utf8").toString("base64")}`;
      const base64 = auth.extractBase64AuthorizationHeader(header);
      expect(auth.extractUserCredentials(auth.decodeBase64AuthorizationHeader(base64))).toEqual([email, password]);
    }
  });
});

describe("router", () => {
  const router = new Router<string>().add("GET", "/api/v1/users", "list").add("GET", "/api/v1/users/:id", "show").add("POST", "/api/v1/users/:id", "update");

  test("never throws on hostile paths, long ones included", () => {
    for (let i = 0; i < ROUNDS; i++) {
      const path = `/${random.pick(["", "api/v1/", "api/v1/users/"])}${random.nasty(20)}`;
      const match = router.match(random.pick(["GET", "POST", "DELETE", "BREW", ""]), path);
      expect(["found", "not-found", "method-not-allowed"]).toContain(match.kind);
    }
    expect(router.match("GET", `/api/v1/users/${"a".repeat(1_000_000)}`).kind).toBe("found");
    expect(router.match("GET", "/".repeat(100_000)).kind).toBe("not-found");
  });

  test("a parameter comes back as it was encoded; a path never matches a route of another shape", () => {
    for (let i = 0; i < ROUNDS; i++) {
      const id = random.text(20);
      if (id === "") continue;
      const match = router.match("GET", `/api/v1/users/${encodeURIComponent(id)}`);
      expect(match.kind).toBe("found");
      if (match.kind === "found") expect(match.params.id).toBe(id);
      expect(router.match("GET", `/api/v1/users/${encodeURIComponent(id)}/x`).kind).toBe("not-found");
    }
  });
});
