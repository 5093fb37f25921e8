/** Property test: hostile requests through the whole app never get a 5xx, a stack trace or a secret. */
import { afterEach, describe, expect, test } from "bun:test";
import { type Credentials, hostileRequest } from "../../scripts/lib/hostile-requests.ts";
import { Random } from "../../scripts/lib/random.ts";
import { available, BACKENDS, call, legacyUser, on, readOnDisk, sessionIdFrom, tempDir } from "../helpers.ts";

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}]`, () => {
    const { testApp, seedUsers, closeApps } = on(backend);
    afterEach(closeApps);

    test("2,000 hostile requests under session_db_auth: no 5xx, no stack, no secret, data intact", async () => {
      const random = new Random();
      console.log(`fuzz seed ${random.seed}`);
      const dir = tempDir();
      const admin = legacyUser("admin@hbtn.io", "admin-secret-pw");
      const other = legacyUser("other@hbtn.io", "other-secret-pw");
      await seedUsers(dir, [admin, other]);
      const app = testApp({ AUTH_TYPE: "session_db_auth", LOGIN_MAX_FAILURES_PER_CLIENT: "0", LOGIN_MAX_FAILURES_PER_ACCOUNT: "0" }, { dataDir: dir });
      const login = async (email: string, password: string) => sessionIdFrom((await call(app, "/api/v1/auth_session/login", { form: { email, password } })).headers);
      const credentials: Credentials = { sessionId: await login("admin@hbtn.io", "admin-secret-pw"), sessionName: "_my_session_id", userId: admin.id };
      const otherSession = await login("other@hbtn.io", "other-secret-pw");
      const secrets = ["admin-secret-pw", "other-secret-pw", "argon2", admin._password!, otherSession, credentials.sessionId];

      let created = 0;
      for (let i = 0; i < 2000; i++) {
        const request = hostileRequest(random, "http://127.0.0.1", credentials);
        const response = await app.handle(request, "127.0.0.1");
        const text = await response.text();
        const label = `${request.method} ${request.url} (seed ${random.seed}, request ${i})`;
        expect([label, response.status < 500]).toEqual([label, true]);
        expect(text).not.toMatch(/\bat .*\.(ts|js):\d+|Error:/);
        for (const secret of secrets) expect(text.includes(secret) ? `${label} leaks a secret` : "ok").toBe("ok");
        if (response.headers.get("content-type") === "application/json" && request.method !== "HEAD") expect(() => JSON.parse(text)).not.toThrow();
        if (response.status === 201) created += 1;
      }

      const me = await call(app, "/api/v1/users/me", { headers: { cookie: `_my_session_id=${credentials.sessionId}` } });
      expect(me).toMatchObject({ status: 200, json: { email: "admin@hbtn.io" } });
      expect((await call(app, "/api/v1/stats", { headers: { cookie: `_my_session_id=${otherSession}` } })).json).toEqual({ users: 2 + created });
      await app.close();
      const reopened = testApp({ AUTH_TYPE: "session_db_auth" }, { dataDir: dir });
      expect((await call(reopened, "/api/v1/users/me", { headers: { cookie: `_my_session_id=${otherSession}` } })).json.email).toBe("other@hbtn.io");
      expect(await reopened.users.count()).toBe(2 + created);
      if (backend === "json") expect(Object.keys(readOnDisk(dir, "User"))).toHaveLength(2 + created);
    }, 120_000);
  });
}
