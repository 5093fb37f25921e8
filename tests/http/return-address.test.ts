import { describe, expect, test } from "bun:test";
import { hostOf, loginRedirect, requestedHost, requestedReturnAddress, safeReturnAddress } from "../../src/http/return-address.ts";

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

describe("requestedHost: the host the browser asked a forward-auth proxy for", () => {
  const cases: [Record<string, string>, string | null][] = [
    [{ "X-Forwarded-Host": "App.Example.test:8443" }, "app.example.test"],
    [{ "X-Forwarded-Host": "app.example.test, proxy.internal" }, "app.example.test"],
    [{ "X-Original-URL": "https://App.example.test:8443/page?x=1" }, "app.example.test"],
    [{ "X-Forwarded-Host": "app.example.test", "X-Original-URL": "https://other.example.test/" }, "app.example.test"],
    [{ "X-Original-URL": "http://[" }, null],
    [{ "X-Original-URL": "/relative" }, null],
    [{ "X-Original-URL": "https://app.example.test@evil.example/" }, null],
    [{ "X-Original-URL": "javascript://app.example.test/" }, null],
    [{ "X-Forwarded-Host": "" }, null],
    // The Host of a request from the proxy names session-auth's upstream, not what the browser asked for.
    [{ Host: "app.example.test" }, null],
    [{}, null],
  ];
  for (const [headers, expected] of cases) {
    test(JSON.stringify(headers), () => expect(requestedHost(new Headers(headers))).toBe(expected));
  }
});

describe("loginRedirect: the first login address that passes the check, with rd when that passes too", () => {
  const verify = { ownHost: "app.example.test", allowedHosts: new Set(["login.internal"]), cookieDomain: null };
  const configured = "https://login.internal/";
  const original = "https://app.example.test/page?x=1";
  const withRd = (login: string, rd = original) => `${login}?rd=${encodeURIComponent(rd)}`;
  const cases: [string, string | null, string | null, string | null, string | null][] = [
    ["the ?login= on the requested host wins", "https://app.example.test/login", configured, original, withRd("https://app.example.test/login")],
    ["the ?login= on an allowed host", "https://login.internal/x", null, original, withRd("https://login.internal/x")],
    ["another host: the configured one instead", "https://evil.example/", configured, original, withRd(configured)],
    ["another host and none configured: none", "https://evil.example/", null, original, null],
    ["javascript:", "javascript:alert(1)", configured, original, withRd(configured)],
    ["data:", "data:text/html,<script>alert(1)</script>", null, original, null],
    ["scheme-relative", "//evil.example", configured, original, withRd(configured)],
    ["a lone %", "%", null, original, null],
    ["an unclosed IPv6 host", "http://[", null, original, null],
    ["user-info", "https://app.example.test@evil.example/", null, original, null],
    ["a relative path", "/login", null, original, null],
    ["only the configured one", null, configured, original, withRd(configured)],
    ["no login address at all", null, null, original, null],
    ["an rd that fails the check is left out", null, configured, "https://app.example.test@evil.example/", configured],
    ["an rd on another host is left out", null, configured, "https://evil.example/", configured],
    ["no rd", null, configured, null, configured],
    ["the login's own query is kept", "https://app.example.test/login?lang=en", null, original, `https://app.example.test/login?lang=en&rd=${encodeURIComponent(original)}`],
  ];
  for (const [name, login, fallback, rd, expected] of cases) {
    test(name, () => expect(loginRedirect([login, fallback], rd, verify)).toBe(expected));
  }
});

test("requestedReturnAddress reads rd to the end of the query, encoded or not, and checks it", () => {
  const cases: [string, string | null][] = [
    ["http://auth.example.test/logout?rd=https://app.example.test/a?b=1&c=2", "https://app.example.test/a?b=1&c=2"],
    [`http://auth.example.test/logout?x=1&rd=${encodeURIComponent("https://app.example.test/a?b=1&c=2")}`, "https://app.example.test/a?b=1&c=2"],
    ["http://auth.example.test/logout", null],
    ["http://auth.example.test/logout?rd=", null],
    ["http://auth.example.test/logout?rd=https%3A%2F%2Fevil.test%2F", null],
    ["http://auth.example.test/logout?rd=https%3A%E0%A4%A", null],
  ];
  for (const [url, expected] of cases) expect([url, requestedReturnAddress(url, policy)]).toEqual([url, expected]);
});
