import { describe, expect, test } from "bun:test";
import { Auth } from "../../src/auth/auth.ts";
import { openUserStore } from "../../src/storage/user-store.ts";
import { tempDir, testApp } from "../helpers.ts";

const auth = new Auth({ users: openUserStore(tempDir()), sessionName: "_my_session_id", sessionDuration: 0, clock: Date.now });

describe("Auth.requireAuth", () => {
  const excluded = ["/api/v1/status/"];
  const cases: [string | null, readonly string[] | null, boolean][] = [
    [null, excluded, true],
    ["/api/v1/status/", null, true],
    ["/api/v1/status/", [], true],
    ["/api/v1/status/", excluded, false],
    ["/api/v1/status", excluded, false],
    ["/api/v1/users", excluded, true],
    ["/api/v1/status", ["/api/v1/status"], false],
    ["/api/v1/status/", ["/api/v1/status"], false],
    ["/api/v1/stat", ["/api/v1/stat*"], false],
    ["/api/v1/stats", ["/api/v1/stat*"], false],
    ["/api/v1/status", ["/api/v1/stat*"], false],
    ["/api/v1/users", ["/api/v1/stat*"], true],
    ["/api/v1/status//", excluded, true],
  ];
  for (const [path, list, expected] of cases) {
    test(`${JSON.stringify(path)} with ${JSON.stringify(list)} → ${expected}`, () => {
      expect(auth.requireAuth(path, list)).toBe(expected);
    });
  }

  for (const authType of ["basic_auth", "session_db_auth"]) {
    test(`the guard's list, made from the routes declared public, frees exactly those (${authType})`, async () => {
      const app = testApp({ AUTH_TYPE: authType });
      const publicPaths = app.router.publicPaths();
      try {
        for (const path of ["/", "/favicon.ico", "/api/v1/status", "/api/v1/unauthorized/", "/api/v1/forbidden", "/api/v1/auth_session/login", "/api/v1/auth/verify"]) {
          expect(auth.requireAuth(path, publicPaths)).toBe(false);
        }
        for (const path of ["/api/v1/users", "/api/v1/users/me", "/api/v1/stats", "/api/v1/auth_session/logout", "/api/v1/auth_session/sessions", "/index.html"]) {
          expect(auth.requireAuth(path, publicPaths)).toBe(true);
        }
        // Routed only where there are sessions to end, public everywhere (a 404 without sessions).
        expect(auth.requireAuth("/logout", publicPaths)).toBe(false);
      } finally {
        await app.close();
      }
    });
  }
});

describe("Auth headers and cookies (main_3)", () => {
  const request = (headers: Record<string, string>) => new Request("http://127.0.0.1/", { headers });
  test("authorizationHeader", () => {
    expect(auth.authorizationHeader(null)).toBeNull();
    expect(auth.authorizationHeader(request({}))).toBeNull();
    expect(auth.authorizationHeader(request({ Authorization: "Test" }))).toBe("Test");
  });
  test("sessionCookie: the SESSION_NAME cookie's value", () => {
    expect(auth.sessionCookie(null)).toBeNull();
    expect(auth.sessionCookie(request({}))).toBeNull();
    expect(auth.sessionCookie(request({ Cookie: "_my_session_id=Hello" }))).toBe("Hello");
    expect(auth.sessionCookie(request({ Cookie: "_my_session_id=C is fun" }))).toBe("C is fun");
    expect(auth.sessionCookie(request({ Cookie: "_my_session_id_fake" }))).toBeNull();
  });
  test("the cookie name comes from the configuration", () => {
    const custom = new Auth({ users: openUserStore(tempDir()), sessionName: "sid", sessionDuration: 0, clock: Date.now });
    expect(custom.sessionCookie(request({ Cookie: "_my_session_id=a; sid=b" }))).toBe("b");
  });
  test("currentUser is always null", async () => {
    expect(await auth.currentUser(request({ Authorization: "Basic eDp5" }))).toBeNull();
  });
});
