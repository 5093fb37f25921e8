/**
 * Sessions their owners can see and end, with idle and absolute timeouts: for every session
 * strategy on every backend, with the injectable clock at each boundary.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { sessionKey } from "../../src/auth/session-auth.ts";
import { available, BACKENDS, call, FakeClock, legacyUser, on, sessionIdFrom, tempDir } from "../helpers.ts";
import type { App } from "../../src/app/compose.ts";

const LOGIN = "/api/v1/auth_session/login";
const STRATEGIES = ["session_auth", "session_exp_auth", "session_db_auth"] as const;

for (const backend of BACKENDS) {
  for (const authType of STRATEGIES) {
    // Memory sessions do not depend on the backend: run them once.
    if (authType !== "session_db_auth" && backend !== "json") continue;
    describe.skipIf(!available(backend))(`[${backend}] ${authType}`, () => {
      const { testApp, seedUsers, closeApps } = on(backend);
      afterEach(closeApps);

      async function setUp(env: Record<string, string> = {}, dir = tempDir()) {
        await seedUsers(dir, [legacyUser("bob@hbtn.io", "pw-secret"), legacyUser("ann@hbtn.io", "pw-secret")]);
        const clock = new FakeClock();
        return { dir, clock, app: testApp({ AUTH_TYPE: authType, ...env }, { dataDir: dir, clock }) };
      }
      const login = async (app: App, email = "bob@hbtn.io", password = "pw-secret", userAgent = "TestBrowser/1.0") => {
        const response = await call(app, LOGIN, { form: { email, password }, headers: { "User-Agent": userAgent }, client: "10.9.8.7" });
        expect(response.status).toBe(200);
        return sessionIdFrom(response.headers);
      };
      const as = (sessionId: string) => ({ headers: { Cookie: `_my_session_id=${sessionId}` } });
      const me = async (app: App, sessionId: string) => (await call(app, "/api/v1/users/me", as(sessionId))).status;

      describe("timeouts", () => {
        test("SESSION_IDLE_TIMEOUT: used at idle − 1 s it goes on; unused for idle + 1 s it ends", async () => {
          const { app, clock } = await setUp({ SESSION_IDLE_TIMEOUT: "300" });
          const session = await login(app);
          clock.advance(299);
          expect(await me(app, session)).toBe(200);
          clock.advance(299);
          expect(await me(app, session)).toBe(200);
          clock.advance(301);
          expect(await me(app, session)).toBe(403);
          expect(await me(app, session)).toBe(403);
        });

        test("a session in constant use still ends at SESSION_DURATION, when the strategy has one", async () => {
          const { app, clock } = await setUp({ SESSION_IDLE_TIMEOUT: "300", SESSION_DURATION: "600" });
          const session = await login(app);
          for (let second = 100; second <= 600; second += 100) {
            clock.advance(100);
            expect([second, await me(app, session)]).toEqual([second, 200]);
          }
          clock.advance(1);
          expect(await me(app, session)).toBe(authType === "session_auth" ? 200 : 403);
        });

        test("without SESSION_IDLE_TIMEOUT a session is never idle", async () => {
          const { app, clock } = await setUp();
          const session = await login(app);
          clock.advance(30 * 24 * 3600);
          expect(await me(app, session)).toBe(200);
        });

        if (authType === "session_db_auth") {
          test("the last use survives a restart, and the sweep removes idle sessions from the store", async () => {
            const { dir, app, clock } = await setUp({ SESSION_IDLE_TIMEOUT: "300" });
            const session = await login(app);
            const idle = await login(app, "ann@hbtn.io");
            clock.advance(200);
            expect(await me(app, session)).toBe(200);
            await closeApps();
            const restarted = testApp({ AUTH_TYPE: authType, SESSION_IDLE_TIMEOUT: "300" }, { dataDir: dir, clock });
            clock.advance(200);
            expect(await me(restarted, session)).toBe(200);
            expect(await restarted.auth!.purgeExpired()).toBe(1);
            expect(await me(restarted, idle)).toBe(403);
            clock.advance(301);
            expect(await me(restarted, session)).toBe(403);
          });
        }
      });

      describe("a user's own sessions", () => {
        test("GET /sessions lists them newest first, the current one marked, never a cookie value or its hash", async () => {
          const { app, clock } = await setUp();
          const first = await login(app, "bob@hbtn.io", "pw-secret", "FirstBrowser/1.0");
          clock.advance(5);
          const second = await login(app, "bob@hbtn.io", "pw-secret", `SecondBrowser/2.0 ${"x".repeat(300)}\u0007`);
          await login(app, "ann@hbtn.io");
          const listed = await call(app, "/api/v1/auth_session/sessions", as(first));
          expect(listed.status).toBe(200);
          const sessions = listed.json as { id: string; current: boolean; user_agent: string; client_address: string; created_at: string; last_used_at: string }[];
          expect(sessions).toHaveLength(2);
          expect(sessions.map((s) => s.current)).toEqual([false, true]);
          expect(sessions[0]!.user_agent).toStartWith("SecondBrowser/2.0 x");
          expect(sessions[0]!.user_agent.length).toBeLessThanOrEqual(120);
          expect(sessions[1]).toMatchObject({ user_agent: "FirstBrowser/1.0", client_address: "10.9.8.7", created_at: "2017-10-16T04:23:04" });
          for (const secret of [first, second, sessionKey(first), sessionKey(second)]) expect(listed.text).not.toContain(secret);
          expect((await call(app, "/api/v1/auth_session/sessions")).status).toBe(401);
        });

        test("DELETE /sessions/<id> ends one of one's own; another user's id answers as an unknown one does", async () => {
          const { app } = await setUp();
          const mine = await login(app);
          const other = await login(app, "bob@hbtn.io", "pw-secret", "Other/1.0");
          const anns = await login(app, "ann@hbtn.io");
          const list = (sessionId: string) => call(app, "/api/v1/auth_session/sessions", as(sessionId)).then((r) => r.json as { id: string; current: boolean }[]);
          const otherId = (await list(mine)).find((s) => !s.current)!.id;
          const annsId = (await list(anns))[0]!.id;
          const unknown = await call(app, `/api/v1/auth_session/sessions/${crypto.randomUUID()}`, { method: "DELETE", ...as(mine) });
          const foreign = await call(app, `/api/v1/auth_session/sessions/${annsId}`, { method: "DELETE", ...as(mine) });
          expect([foreign.status, foreign.text]).toEqual([unknown.status, unknown.text]);
          expect(foreign.status).toBe(404);
          expect(await me(app, anns)).toBe(200);
          expect((await call(app, `/api/v1/auth_session/sessions/${otherId}`, { method: "DELETE", ...as(mine) })).status).toBe(200);
          expect(await me(app, other)).toBe(403);
          expect(await me(app, mine)).toBe(200);
        });

        test("DELETE /sessions ends every session but the current one", async () => {
          const { app } = await setUp();
          const current = await login(app);
          const others = [await login(app), await login(app)];
          const anns = await login(app, "ann@hbtn.io");
          const ended = await call(app, "/api/v1/auth_session/sessions", { method: "DELETE", ...as(current) });
          expect(ended).toMatchObject({ status: 200, json: { ended: 2 } });
          for (const other of others) expect(await me(app, other)).toBe(403);
          expect(await me(app, current)).toBe(200);
          expect(await me(app, anns)).toBe(200);
          expect((await call(app, "/api/v1/auth_session/sessions", as(current))).json).toHaveLength(1);
        });

        test("POST /password checks the current password, stores the new one and ends every other session", async () => {
          const { app } = await setUp();
          const current = await login(app);
          const other = await login(app);
          const change = (fields: Record<string, string>, json = false) =>
            call(app, "/api/v1/auth_session/password", json ? { json: fields, ...as(current) } : { form: fields, ...as(current) });
          expect(await change({ current_password: "wrong", new_password: "next password" })).toMatchObject({ status: 401, json: { error: "wrong password" } });
          expect(await change({ current_password: "pw-secret" })).toMatchObject({ status: 400, json: { error: "new_password missing" } });
          expect(await change({ new_password: "next password" })).toMatchObject({ status: 400, json: { error: "current_password missing" } });
          expect(await change({ current_password: "pw-secret", new_password: "next" })).toMatchObject({ status: 400, json: { error: "new_password too short (at least 8 characters)" } });
          expect(await me(app, other)).toBe(200);
          expect(await change({ current_password: "pw-secret", new_password: "next password" }, true)).toMatchObject({ status: 200, json: { ended: 1 } });
          expect(await me(app, other)).toBe(403);
          expect(await me(app, current)).toBe(200);
          expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "pw-secret" } })).status).toBe(401);
          expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "next password" } })).status).toBe(200);
        });

        test("POST /password is throttled as logins are", async () => {
          const { app } = await setUp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: "3" });
          const current = await login(app);
          const statuses = [];
          for (let i = 0; i < 5; i++) statuses.push((await call(app, "/api/v1/auth_session/password", { form: { current_password: `guess ${i}`, new_password: "next password" }, ...as(current) })).status);
          expect(statuses).toEqual([401, 401, 401, 429, 429]);
        });

        test("logout clears the cookie, and over https asks the browser to clear the site's cookies (Chromium refuses that over http)", async () => {
          const { app } = await setUp({ TRUST_PROXY: "1" });
          const out = await call(app, "/api/v1/auth_session/logout", { method: "DELETE", ...as(await login(app)) });
          expect(out.status).toBe(200);
          expect(out.headers.get("clear-site-data")).toBeNull();
          expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
          const secure = await call(app, "/api/v1/auth_session/logout", { method: "DELETE", headers: { ...as(await login(app)).headers, "X-Forwarded-Proto": "https" } });
          expect(secure.status).toBe(200);
          expect(secure.headers.get("clear-site-data")).toBe('"cookies"');
        });
      });
    });
  }
}

for (const backend of BACKENDS.filter((name) => name !== "json")) {
  describe.skipIf(!available(backend))(`[${backend}] a password changed through another instance`, () => {
    const { testApp, seedUsers, closeApps } = on(backend);
    afterEach(closeApps);

    for (const authType of STRATEGIES) {
      test(`ends ${authType} sessions kept by this one, in memory or stored`, async () => {
        const dir = tempDir();
        await seedUsers(dir, [legacyUser("bob@hbtn.io", "pw-secret")]);
        const [here, there] = [testApp({ AUTH_TYPE: authType }, { dataDir: dir }), testApp({ AUTH_TYPE: authType }, { dataDir: dir })];
        const login = async (app: App) => sessionIdFrom((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "pw-secret" } })).headers);
        const [mine, theirs] = [await login(here), await login(there)];
        const me = async (app: App, sessionId: string) => (await call(app, "/api/v1/users/me", { headers: { Cookie: `_my_session_id=${sessionId}` } })).status;
        expect(await me(here, mine)).toBe(200);
        const changed = await call(there, "/api/v1/auth_session/password", { form: { current_password: "pw-secret", new_password: "next password" }, headers: { Cookie: `_my_session_id=${theirs}` } });
        expect(changed.status).toBe(200);
        expect(await me(here, mine)).toBe(403);
        expect(await me(there, theirs)).toBe(200);
      });
    }
  });
}
