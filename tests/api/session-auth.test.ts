import { afterEach, describe, expect, test } from "bun:test";
import { SessionAuth } from "../../src/auth/session-auth.ts";
import { available, BACKENDS, call, FakeClock, legacyUser, on, sessionIdFrom, tempDir } from "../helpers.ts";

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}]`, () => {
    const { testApp, seedUsers, storedUser, closeApps } = on(backend);
    afterEach(closeApps);

    const LOGIN = "/api/v1/auth_session/login";
    const LOGOUT = "/api/v1/auth_session/logout";
    const bob = legacyUser("bobsession@hbtn.io", "fake pwd", "cf3ddee1-ff24-49e4-a40b-2540333fe992");

    async function setUp(env: Record<string, string>, clock = new FakeClock()) {
      const dir = tempDir();
      await seedUsers(dir, [bob]);
      return { dir, clock, app: testApp(env, { dataDir: dir, clock }) };
    }

    for (const authType of ["session_auth", "session_exp_auth", "session_db_auth"]) {
      describe(`${authType}: login and logout (tasks 7 and 8)`, () => {
        test("login errors, in the transcript's order", async () => {
          const { app } = await setUp({ AUTH_TYPE: authType });
          expect(await call(app, LOGIN)).toMatchObject({ status: 405, headers: expect.anything() });
          expect((await call(app, LOGIN)).text).toContain("Method Not Allowed");
          expect(await call(app, LOGIN, { method: "POST" })).toMatchObject({ status: 400, json: { error: "email missing" } });
          expect(await call(app, LOGIN, { form: { email: "" } })).toMatchObject({ status: 400, json: { error: "email missing" } });
          expect(await call(app, LOGIN, { form: { email: "guillaume@hbtn.io" } })).toMatchObject({ status: 400, json: { error: "password missing" } });
          expect(await call(app, LOGIN, { form: { email: "guillaume@hbtn.io", password: "" } })).toMatchObject({ status: 400, json: { error: "password missing" } });
          expect(await call(app, LOGIN, { form: { email: "guillaume@hbtn.io", password: "test" } })).toMatchObject({ status: 404, json: { error: "no user found for this email" } });
          expect(await call(app, LOGIN, { form: { email: "bobsession@hbtn.io", password: "test" } })).toMatchObject({ status: 401, json: { error: "wrong password" } });
        });

        test("JSON bodies and query strings carry no form fields", async () => {
          const { app } = await setUp({ AUTH_TYPE: authType });
          expect(await call(app, LOGIN, { json: { email: "bobsession@hbtn.io", password: "fake pwd" } })).toMatchObject({ status: 400, json: { error: "email missing" } });
          expect(await call(app, `${LOGIN}?email=bobsession@hbtn.io&password=fake+pwd`, { method: "POST" })).toMatchObject({ status: 400, json: { error: "email missing" } });
        });

        test("login sets the cookie; the cookie opens /users/me; logout ends it", async () => {
          const { app } = await setUp({ AUTH_TYPE: authType });
          const login = await call(app, `${LOGIN}/`, { form: { email: "bobsession@hbtn.io", password: "fake pwd" } });
          expect(login.status).toBe(200);
          expect(login.json).toEqual({ id: bob.id, email: bob.email, first_name: null, last_name: null, created_at: bob.created_at, updated_at: login.json.updated_at });
          const cookie = login.headers.get("set-cookie")!;
          expect(cookie).toMatch(/^_my_session_id=[0-9a-f-]{36}; Path=\/; HttpOnly; SameSite=Lax$/);
          const sessionId = sessionIdFrom(login.headers);
          const withCookie = { headers: { Cookie: `_my_session_id=${sessionId}` } };

          expect(await call(app, "/api/v1/users/me", withCookie)).toMatchObject({ status: 200, json: login.json });
          expect((await call(app, "/api/v1/users", withCookie)).status).toBe(200);
          expect((await call(app, LOGOUT, withCookie)).status).toBe(405);

          const logout = await call(app, LOGOUT, { ...withCookie, method: "DELETE" });
          expect(logout).toMatchObject({ status: 200, text: "{}\n" });
          expect(logout.headers.get("set-cookie")).toBe("_my_session_id=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
          expect(await call(app, "/api/v1/users/me", withCookie)).toMatchObject({ status: 403, json: { error: "Forbidden" } });
          expect((await call(app, LOGOUT, { ...withCookie, method: "DELETE" })).status).toBe(403);
          expect((await call(app, LOGOUT, { method: "DELETE" })).status).toBe(401);
        });

        test("multipart login (curl -F) works too", async () => {
          const { app } = await setUp({ AUTH_TYPE: authType });
          const form = new FormData();
          form.set("email", "bobsession@hbtn.io");
          form.set("password", "fake pwd");
          expect((await call(app, LOGIN, { body: form })).status).toBe(200);
        });

        test("one user may hold several sessions; logging out one keeps the others", async () => {
          const { app } = await setUp({ AUTH_TYPE: authType });
          const first = sessionIdFrom((await call(app, LOGIN, { form: { email: bob.email!, password: "fake pwd" } })).headers);
          const second = sessionIdFrom((await call(app, LOGIN, { form: { email: bob.email!, password: "fake pwd" } })).headers);
          expect(first).not.toBe(second);
          await call(app, LOGOUT, { method: "DELETE", headers: { Cookie: `_my_session_id=${first}` } });
          expect((await call(app, "/api/v1/users/me", { headers: { Cookie: `_my_session_id=${second}` } })).status).toBe(200);
        });

        test("deleting a user ends all of their sessions", async () => {
          const { app } = await setUp({ AUTH_TYPE: authType });
          const other = await call(app, LOGIN, { form: { email: bob.email!, password: "fake pwd" } });
          const mine = sessionIdFrom(other.headers);
          const second = sessionIdFrom((await call(app, LOGIN, { form: { email: bob.email!, password: "fake pwd" } })).headers);
          expect((await call(app, `/api/v1/users/${bob.id}`, { method: "DELETE", headers: { Cookie: `_my_session_id=${mine}` } })).status).toBe(200);
          const auth = app.auth as SessionAuth;
          expect(await auth.userIdForSessionId(mine)).toBeNull();
          expect(await auth.userIdForSessionId(second)).toBeNull();
        });

        test("SESSION_NAME names the cookie; COOKIE_SECURE marks it Secure", async () => {
          const { app } = await setUp({ AUTH_TYPE: authType, SESSION_NAME: "sid", COOKIE_SECURE: "1" });
          const login = await call(app, LOGIN, { form: { email: bob.email!, password: "fake pwd" } });
          expect(login.headers.get("set-cookie")).toMatch(/^sid=[0-9a-f-]{36}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
          const sessionId = sessionIdFrom(login.headers, "sid");
          expect((await call(app, "/api/v1/users/me", { headers: { Cookie: `sid=${sessionId}` } })).status).toBe(200);
          expect((await call(app, "/api/v1/users/me", { headers: { Cookie: `_my_session_id=${sessionId}` } })).status).toBe(401);
        });

        test("a record with the original's SHA-256 password logs in and is upgraded", async () => {
          const { app, dir } = await setUp({ AUTH_TYPE: authType });
          expect((await call(app, LOGIN, { form: { email: bob.email!, password: "fake pwd" } })).status).toBe(200);
          const stored = (await storedUser(dir, bob.id))!;
          expect(stored._password).toStartWith("$argon2id$");
          expect((await call(app, LOGIN, { form: { email: bob.email!, password: "fake pwd" } })).status).toBe(200);
        });
      });
    }

    for (const authType of ["session_exp_auth", "session_db_auth"]) {
      describe(`${authType}: expiry (tasks 9 and 10)`, () => {
        test("the cookie works for SESSION_DURATION seconds, then 403", async () => {
          const { app, clock } = await setUp({ AUTH_TYPE: authType, SESSION_DURATION: "60" });
          const login = await call(app, LOGIN, { form: { email: bob.email!, password: "fake pwd" } });
          expect(login.headers.get("set-cookie")).toContain("Max-Age=60");
          const withCookie = { headers: { Cookie: `_my_session_id=${sessionIdFrom(login.headers)}` } };
          clock.advance(10);
          expect((await call(app, "/api/v1/users/me", withCookie)).status).toBe(200);
          clock.advance(51);
          expect(await call(app, "/api/v1/users/me", withCookie)).toMatchObject({ status: 403, json: { error: "Forbidden" } });
        });
      });
    }

    test("session_db_auth sessions survive a restart; session_auth ones do not", async () => {
      for (const [authType, survives] of [["session_db_auth", true], ["session_auth", false]] as const) {
        const { app, dir } = await setUp({ AUTH_TYPE: authType });
        const sessionId = sessionIdFrom((await call(app, LOGIN, { form: { email: bob.email!, password: "fake pwd" } })).headers);
        await app.close();
        const restarted = testApp({ AUTH_TYPE: authType }, { dataDir: dir });
        const me = await call(restarted, "/api/v1/users/me", { headers: { Cookie: `_my_session_id=${sessionId}` } });
        expect([authType, me.status]).toEqual([authType, survives ? 200 : 403]);
      }
    });
  });
}
