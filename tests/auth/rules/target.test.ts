import { describe, expect, test } from "bun:test";
import { normalizeHost, normalizePath, requestTarget } from "../../../src/auth/rules/target.ts";

describe("normalizePath", () => {
  const cases: [string, string][] = [
    ["", "/"],
    ["/", "/"],
    ["/admin", "/admin"],
    ["/admin/", "/admin/"],
    ["/admin?x=1", "/admin"],
    ["/admin#top", "/admin"],
    ["/admin?next=/public#x", "/admin"],
    ["//admin", "/admin"],
    ["/public//..//admin", "/admin"],
    ["/public/../admin", "/admin"],
    ["/public/./../admin/", "/admin/"],
    ["/public/%2e%2e/admin", "/admin"],
    ["/public/%2E%2e/admin", "/admin"],
    ["/public/.%2e/admin", "/admin"],
    ["/%61dmin", "/admin"],
    ["/%41dmin", "/Admin"],
    ["/admin%2Fsecret", "/admin/secret"],
    ["/public%2F..%2Fadmin", "/admin"],
    ["/a%2fb", "/a/b"],
    ["/a%7eb", "/a~b"],
    ["/a%20b", "/a%20b"],
    ["/a%3fb", "/a%3Fb"],
    ["/../../etc", "/etc"],
    ["/a/..", "/"],
    ["/a/.", "/a/"],
    ["/Admin", "/Admin"],
    ["admin", "/admin"],
    ["/%zz", "/%zz"],
  ];
  test.each(cases)("%p → %p", (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });
});

describe("normalizeHost", () => {
  const cases: [string, string][] = [
    ["app.example.com", "app.example.com"],
    ["APP.Example.COM", "app.example.com"],
    ["app.example.com:8443", "app.example.com"],
    ["app.example.com.", "app.example.com"],
    ["app.example.com.:80", "app.example.com"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["10.0.0.1:80", "10.0.0.1"],
    [" app.example.com ", "app.example.com"],
  ];
  test.each(cases)("%p → %p", (input, expected) => {
    expect(normalizeHost(input)).toBe(expected);
  });
});

describe("requestTarget", () => {
  test("nginx: X-Original-URL, with X-Original-Method when set, else the request's own method", () => {
    const headers = new Headers({ "X-Original-URL": "https://App.Example.com:8443//admin/%2e%2e/x?y=1" });
    expect(requestTarget(headers, "GET")).toEqual({ host: "app.example.com", path: "/x", method: "GET", conflicting: false, address: null });
    headers.set("X-Original-Method", "post");
    expect(requestTarget(headers, "GET").method).toBe("POST");
  });
  test("Caddy and Traefik: X-Forwarded-Host, -Uri and -Method", () => {
    const headers = new Headers({ "X-Forwarded-Host": "wiki.example.com.", "X-Forwarded-Uri": "/Admin?q", "X-Forwarded-Method": "DELETE" });
    expect(requestTarget(headers, "GET")).toEqual({ host: "wiki.example.com", path: "/Admin", method: "DELETE", conflicting: false, address: null });
  });
  test("user info in X-Original-URL is not the host", () => {
    expect(requestTarget(new Headers({ "X-Original-URL": "http://evil.example@app.example.com/x" }), "GET").host).toBe("app.example.com");
  });
  test("nothing said: host and path unknown", () => {
    expect(requestTarget(new Headers(), "get")).toEqual({ host: null, path: null, method: "GET", conflicting: false, address: null });
  });
  test("both families of headers: they must name the same request (a client's own of the family its proxy does not write would otherwise decide)", () => {
    const cases: [Record<string, string>, boolean][] = [
      [{ "X-Original-URL": "http://app.example.com/secret", "X-Forwarded-Uri": "/health" }, true],
      [{ "X-Original-URL": "http://app.example.com/secret", "X-Forwarded-Host": "other.example.com" }, true],
      [{ "X-Original-URL": "http://app.example.com/b", "X-Forwarded-Method": "GET", "X-Original-Method": "DELETE" }, true],
      // Caddy's family alone: a client's own X-Original-Method is never read.
      [{ "X-Forwarded-Method": "GET", "X-Original-Method": "DELETE" }, false],
      [{ "X-Original-URL": "http://app.example.com/a/../b?x", "X-Forwarded-Host": "APP.example.com:80", "X-Forwarded-Uri": "/b" }, false],
      [{ "X-Original-URL": "http://app.example.com/b", "X-Forwarded-Method": "get", "X-Original-Method": "GET" }, false],
      [{ "X-Original-URL": "http://app.example.com/b", "X-Forwarded-Proto": "https" }, false],
    ];
    for (const [headers, conflicting] of cases) expect([headers, requestTarget(new Headers(headers), "GET").conflicting]).toEqual([headers, conflicting]);
  });
});
