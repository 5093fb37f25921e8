/**
 * `GET /logout?rd=…`: the link a protected app shows. It ends the session, clears the cookie
 * (Clear-Site-Data only over https, where browsers accept it) and sends the browser to a checked
 * address, or to the login page.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { available, BACKENDS, call, legacyUser, on, sessionIdFrom, tempDir } from "../helpers.ts";
import type { App } from "../../src/app/compose.ts";

const LOGIN = "/api/v1/auth_session/login";
const STRATEGIES = ["session_auth", "session_exp_auth", "session_db_auth"] as const;
const HOST = "auth.example.test";

for (const backend of BACKENDS) {
  for (const authType of STRATEGIES) {
    if (authType !== "session_db_auth" && backend !== "json") continue;
    describe.skipIf(!available(backend))(`[${backend}] ${authType}: GET /logout`, () => {
      const { testApp, seedUsers, closeApps } = on(backend);
      afterEach(closeApps);

      async function setUp(env: Record<string, string> = {}) {
        const dir = tempDir();
        await seedUsers(dir, [legacyUser("bob@hbtn.io", "pw-secret")]);
        return testApp({ AUTH_TYPE: authType, COOKIE_DOMAIN: "example.test", ...env }, { dataDir: dir });
      }
      const login = async (app: App) => sessionIdFrom((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "pw-secret" }, headers: { Host: HOST } })).headers);
      const logout = (app: App, query: string, sessionId: string | null, headers: Record<string, string> = {}) =>
        call(app, `/logout${query}`, { headers: { Host: HOST, ...(sessionId ? { Cookie: `_my_session_id=${sessionId}` } : {}), ...headers } });
      const me = async (app: App, sessionId: string) => (await call(app, "/api/v1/users/me", { headers: { Cookie: `_my_session_id=${sessionId}` } })).status;

      test("ends the session, clears the domain cookie and sends the browser to the checked rd", async () => {
        const app = await setUp();
        const session = await login(app);
        expect(await me(app, session)).toBe(200);
        const out = await logout(app, `?rd=${encodeURIComponent("http://app.example.test/page?x=1")}`, session);
        expect(out.status).toBe(302);
        expect(out.headers.get("location")).toBe("http://app.example.test/page?x=1");
        expect(out.headers.get("set-cookie")).toBe("_my_session_id=; Max-Age=0; Path=/; Domain=example.test; HttpOnly; SameSite=Lax");
        expect(out.headers.get("cache-control")).toBe("no-store");
        expect(await me(app, session)).toBe(403);
      });

      test("a missing or refused rd sends the browser to the login page", async () => {
        const app = await setUp();
        for (const query of ["", "?rd=", `?rd=${encodeURIComponent("https://evil.test/")}`, "?rd=javascript:alert(1)", `?rd=${encodeURIComponent("//evil.test/")}`, "?rd=%E0%A4%A"]) {
          const session = await login(app);
          const out = await logout(app, query, session);
          expect([query, out.status, out.headers.get("location")]).toEqual([query, 302, "/"]);
          expect(await me(app, session)).toBe(403);
        }
      });

      test("without a session, or with one that ended, it still clears the cookie and redirects: never a 401 or 403", async () => {
        const app = await setUp();
        const none = await logout(app, "?rd=http://app.example.test/", null);
        expect([none.status, none.headers.get("location")]).toEqual([302, "http://app.example.test/"]);
        expect(none.headers.get("set-cookie")).toContain("Max-Age=0");
        const dead = await logout(app, "", "not-a-session");
        expect([dead.status, dead.headers.get("location")]).toEqual([302, "/"]);
      });

      test("Clear-Site-Data only over https (Chromium refuses it over http, and then keeps the cookie)", async () => {
        const app = await setUp({ TRUST_PROXY: "1" });
        expect((await logout(app, "", await login(app))).headers.get("clear-site-data")).toBeNull();
        const secure = await logout(app, "", await login(app), { "X-Forwarded-Proto": "https" });
        expect(secure.headers.get("clear-site-data")).toBe('"cookies"');
        expect(secure.headers.get("set-cookie")).toContain("; Secure");
      });
    });
  }
}

describe("GET /logout without a session AUTH_TYPE", () => {
  const { testApp, closeApps } = on("json");
  afterEach(closeApps);

  test("is not a route: 404", async () => {
    expect((await call(testApp(), "/logout")).status).toBe(404);
    expect((await call(testApp({ AUTH_TYPE: "basic_auth" }), "/logout")).status).toBe(404);
  });
});
