import { expect, test } from "bun:test";
import { hostOf, safeReturnAddress } from "../../src/http/return-address.ts";

const policy = { ownHost: "auth.example.test", allowedHosts: new Set(["tools.internal"]), cookieDomain: "example.test" };

test("addresses on this host, an allowed host or under COOKIE_DOMAIN are followed", () => {
  for (const rd of ["https://auth.example.test/", "https://app.example.test/page?x=1#y", "http://example.test/", "https://tools.internal:8443/a"]) {
    expect([rd, safeReturnAddress(rd, policy)]).toEqual([rd, new URL(rd).href]);
  }
});

test("anything else is ignored, never followed", () => {
  const hostile = [
    "//evil.test",
    "https://evil.test",
    "https://app.example.test.evil.test",
    "https://evil.test\\@app.example.test",
    "https://evil.test%5C@app.example.test",
    "https://user@app.example.test/",
    "javascript:alert(1)",
    "JavaScript://app.example.test/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "\\\\evil.test",
    "/\\evil.test",
    "https:/\\evil.test",
    "https://evil.test%2f@app.example.test",
    "https:%2f%2fevil.test",
    "/relative/path",
    "https://notexample.test/",
    " https://app.example.test/",
    "https://app.example.test/\n",
    "",
    null,
  ];
  for (const rd of hostile) expect([rd, safeReturnAddress(rd, policy)]).toEqual([rd, null]);
});

test("hostOf drops the port, keeps IPv6 brackets", () => {
  expect(hostOf("Auth.Example.test:8080")).toBe("auth.example.test");
  expect(hostOf("[::1]:5000")).toBe("[::1]");
  expect(hostOf(null)).toBeNull();
});
