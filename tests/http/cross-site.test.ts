import { expect, test } from "bun:test";
import { ownOrigin, refusedAsCrossSite } from "../../src/http/cross-site.ts";

const policy = { allowedOrigins: new Set(["https://app.example.com"]), trustProxy: false, sessionName: "sid", loginPath: "/api/v1/auth_session/login" };
const request = (path: string, headers: Record<string, string>, method = "POST") => new Request(`http://auth.example.com${path}`, { method, headers: { Host: "auth.example.com", ...headers } });
const LOGIN = "/api/v1/auth_session/login";

test("the login from a page of another site is refused, by Fetch Metadata or by Origin", () => {
  expect(refusedAsCrossSite(request(LOGIN, { "Sec-Fetch-Site": "cross-site" }), LOGIN, policy)).toBe(true);
  expect(refusedAsCrossSite(request(LOGIN, { Origin: "https://evil.test" }), LOGIN, policy)).toBe(true);
  expect(refusedAsCrossSite(request(LOGIN, { Origin: "null" }), LOGIN, policy)).toBe(true);
  expect(refusedAsCrossSite(request(`${LOGIN}/`, { "Sec-Fetch-Site": "cross-site" }), `${LOGIN}/`, policy)).toBe(true);
});

test("the server's own pages, allowed origins, same-site Fetch Metadata and clients without either header pass", () => {
  expect(refusedAsCrossSite(request(LOGIN, { "Sec-Fetch-Site": "same-origin", Origin: "http://auth.example.com" }), LOGIN, policy)).toBe(false);
  expect(refusedAsCrossSite(request(LOGIN, { Origin: "http://auth.example.com" }), LOGIN, policy)).toBe(false);
  expect(refusedAsCrossSite(request(LOGIN, { Origin: "https://app.example.com" }), LOGIN, policy)).toBe(false);
  expect(refusedAsCrossSite(request(LOGIN, { "Sec-Fetch-Site": "same-site" }), LOGIN, policy)).toBe(false);
  expect(refusedAsCrossSite(request(LOGIN, { "Sec-Fetch-Site": "none" }), LOGIN, policy)).toBe(false);
  expect(refusedAsCrossSite(request(LOGIN, {}), LOGIN, policy)).toBe(false);
});

test("other requests are checked only when they change something with the session cookie", () => {
  const withCookie = { Cookie: "sid=abc", "Sec-Fetch-Site": "cross-site" };
  expect(refusedAsCrossSite(request("/api/v1/users/1", withCookie, "DELETE"), "/api/v1/users/1", policy)).toBe(true);
  expect(refusedAsCrossSite(request("/api/v1/users", withCookie, "POST"), "/api/v1/users", policy)).toBe(true);
  expect(refusedAsCrossSite(request("/api/v1/users/me", withCookie, "GET"), "/api/v1/users/me", policy)).toBe(false);
  expect(refusedAsCrossSite(request("/api/v1/users", { "Sec-Fetch-Site": "cross-site", Authorization: "Basic eDp5" }), "/api/v1/users", policy)).toBe(false);
  expect(refusedAsCrossSite(request("/api/v1/users", { Cookie: "other=1", Origin: "https://evil.test" }), "/api/v1/users", policy)).toBe(false);
});

test("ownOrigin is the Host by the scheme the request came with", () => {
  expect(ownOrigin(request("/", {}), false)).toBe("http://auth.example.com");
  expect(ownOrigin(request("/", { "X-Forwarded-Proto": "https" }), true)).toBe("https://auth.example.com");
  expect(ownOrigin(request("/", { "X-Forwarded-Proto": "https" }), false)).toBe("http://auth.example.com");
});
