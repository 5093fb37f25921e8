import { describe, expect, test } from "bun:test";
import { crossSiteRefusal, ownOrigin } from "../../src/http/cross-site.ts";

const policy = { allowedOrigins: new Set(["https://app.example.com"]), trustProxy: false, sessionName: "sid", loginPath: "/api/v1/auth_session/login" };
const request = (path: string, headers: Record<string, string>, method = "POST") => new Request(`http://auth.example.com${path}`, { method, headers: { Host: "auth.example.com", ...headers } });
const LOGIN = "/api/v1/auth_session/login";
const OWN = "http://auth.example.com";

describe("crossSiteRefusal: a login is accepted only from this server's origin or ALLOWED_ORIGINS", () => {
  // [headers, refused: the reason's pattern, or null when accepted]
  const cases: [Record<string, string>, RegExp | null][] = [
    [{ "Sec-Fetch-Site": "cross-site", Origin: "https://evil.test" }, /^Origin "https:\/\/evil\.test" is not this server's origin \("http:\/\/auth\.example\.com", by the Host header\) and not in ALLOWED_ORIGINS$/],
    [{ Origin: "https://evil.test" }, /^Origin "https:\/\/evil\.test" is not this server's origin/],
    [{ Origin: "null" }, /^Origin "null" is not this server's origin/],
    [{ "Sec-Fetch-Site": "cross-site" }, /^Sec-Fetch-Site: cross-site without an Origin/],
    // Another origin on the same site: a sibling subdomain, or another port on this host.
    [{ "Sec-Fetch-Site": "same-site", Origin: "https://blog.example.com" }, /^Origin "https:\/\/blog\.example\.com" is not this server's origin/],
    [{ "Sec-Fetch-Site": "same-site", Origin: "http://auth.example.com:8080" }, /^Origin "http:\/\/auth\.example\.com:8080" is not this server's origin/],
    [{ "Sec-Fetch-Site": "same-site" }, /^Sec-Fetch-Site: same-site without an Origin/],
    [{ "Sec-Fetch-Site": "none", Origin: "https://evil.test" }, /^Origin "https:\/\/evil\.test" is not this server's origin/],
    [{ Origin: "http://auth.example.com.evil.test" }, /is not this server's origin/],
    [{ Origin: "https://auth.example.com" }, /is not this server's origin/],
    [{ Origin: `https://evil.test/${"x".repeat(500)}` }, /^Origin "https:\/\/evil\.test\/x{82}…" is not this server's origin/],
    // Accepted: the browser says the page is this server's, the Origin is this server's or allowed, or neither header.
    [{ "Sec-Fetch-Site": "same-origin" }, null],
    [{ "Sec-Fetch-Site": "same-origin", Origin: OWN }, null],
    [{ "Sec-Fetch-Site": "same-origin", Origin: "https://auth.example.com" }, null],
    [{ Origin: OWN }, null],
    [{ Origin: "HTTP://Auth.Example.com" }, null],
    [{ Origin: "https://app.example.com" }, null],
    [{ "Sec-Fetch-Site": "cross-site", Origin: "https://app.example.com" }, null],
    [{ "Sec-Fetch-Site": "same-site", Origin: "https://app.example.com" }, null],
    [{ "Sec-Fetch-Site": "none" }, null],
    [{}, null],
  ];
  for (const [headers, refused] of cases) {
    test(`${JSON.stringify(headers)}: ${refused ? "refused" : "accepted"}`, () => {
      const refusal = crossSiteRefusal(request(LOGIN, headers), LOGIN, policy);
      if (refused === null) expect(refusal).toBeNull();
      else {
        expect(refusal?.login).toBe(true);
        expect(refusal?.reason).toMatch(refused);
      }
    });
  }

  test("the login path with a trailing slash is the login", () => {
    expect(crossSiteRefusal(request(`${LOGIN}/`, { "Sec-Fetch-Site": "same-site", Origin: "https://blog.example.com" }), `${LOGIN}/`, policy)?.login).toBe(true);
  });
});

describe("crossSiteRefusal: other requests are checked only when they change something with the session cookie", () => {
  const cases: [string, string, Record<string, string>, boolean][] = [
    ["DELETE", "/api/v1/users/1", { Cookie: "sid=abc", "Sec-Fetch-Site": "cross-site", Origin: "https://evil.test" }, true],
    ["POST", "/api/v1/users", { Cookie: "sid=abc", "Sec-Fetch-Site": "cross-site" }, true],
    ["PUT", "/api/v1/users/1", { Cookie: "sid=abc", "Sec-Fetch-Site": "same-site", Origin: "https://blog.example.com" }, true],
    ["DELETE", "/api/v1/auth_session/logout", { Cookie: "sid=abc", Origin: "null" }, true],
    ["DELETE", "/api/v1/users/1", { Cookie: "sid=abc", "Sec-Fetch-Site": "same-origin", Origin: OWN }, false],
    ["DELETE", "/api/v1/users/1", { Cookie: "sid=abc", Origin: "https://app.example.com" }, false],
    ["DELETE", "/api/v1/users/1", { Cookie: "sid=abc" }, false],
    ["GET", "/api/v1/users/me", { Cookie: "sid=abc", "Sec-Fetch-Site": "cross-site", Origin: "https://evil.test" }, false],
    ["POST", "/api/v1/users", { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.test", Authorization: "Basic eDp5" }, false],
    ["POST", "/api/v1/users", { Cookie: "other=1", Origin: "https://evil.test" }, false],
  ];
  for (const [method, path, headers, refused] of cases) {
    test(`${method} ${path} ${JSON.stringify(headers)}: ${refused ? "refused" : "accepted"}`, () => {
      const refusal = crossSiteRefusal(request(path, headers, method), path, policy);
      expect(refusal === null ? null : refusal.login).toBe(refused ? false : null);
    });
  }
});

describe("behind a trusted proxy", () => {
  const proxied = { ...policy, trustProxy: true };
  test("the origin is the one the proxy says the browser asked for", () => {
    const headers = { Host: "session_auth", "X-Forwarded-Host": "auth.example.com", "X-Forwarded-Proto": "https" };
    expect(crossSiteRefusal(request(LOGIN, { ...headers, Origin: "https://auth.example.com" }), LOGIN, proxied)).toBeNull();
    expect(crossSiteRefusal(request(LOGIN, { ...headers, Origin: "http://auth.example.com" }), LOGIN, proxied)?.reason).toMatch(/"https:\/\/auth\.example\.com", by X-Forwarded-Host/);
  });

  test("a proxy that does not pass the Host on: the reason names the origin the Host header makes", () => {
    const refusal = crossSiteRefusal(request(LOGIN, { Host: "session_auth", "X-Forwarded-Proto": "https", Origin: "https://auth.example.com" }), LOGIN, proxied);
    expect(refusal?.reason).toBe(`Origin "https://auth.example.com" is not this server's origin ("https://session_auth", by the Host header) and not in ALLOWED_ORIGINS`);
  });

  test("without TRUST_PROXY, X-Forwarded-Host and -Proto are a client's word and are not read", () => {
    const headers = { Host: "session_auth", "X-Forwarded-Host": "auth.example.com", "X-Forwarded-Proto": "https", Origin: "https://auth.example.com" };
    expect(crossSiteRefusal(request(LOGIN, headers), LOGIN, policy)).not.toBeNull();
  });
});

describe("ownOrigin", () => {
  const cases: [Record<string, string>, boolean, string | null][] = [
    [{}, false, "http://auth.example.com"],
    [{ "X-Forwarded-Proto": "https" }, true, "https://auth.example.com"],
    [{ "X-Forwarded-Proto": "https" }, false, "http://auth.example.com"],
    [{ Host: "Auth.Example.com:80" }, false, "http://auth.example.com"],
    [{ Host: "auth.example.com:8080" }, false, "http://auth.example.com:8080"],
    [{ "X-Forwarded-Host": "login.example.com, proxy.internal", "X-Forwarded-Proto": "https" }, true, "https://login.example.com"],
    [{ "X-Forwarded-Host": "login.example.com" }, false, "http://auth.example.com"],
  ];
  for (const [headers, trustProxy, expected] of cases) {
    test(`${JSON.stringify(headers)} trustProxy=${trustProxy}`, () => expect(ownOrigin(request("/", headers), trustProxy)).toBe(expected));
  }
});
