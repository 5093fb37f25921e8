/** One account per email, whatever its case or its spaces, on every backend; the address kept as typed. */
import { afterEach, describe, expect, test } from "bun:test";
import { available, BACKENDS, basicHeader, call, legacyUser, on, tempDir } from "../helpers.ts";

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}] emails`, () => {
    const { testApp, seedUsers, closeApps } = on(backend);
    afterEach(closeApps);

    test("an email is trimmed, kept in its case, and taken in every case", async () => {
      const app = testApp();
      const created = await call(app, "/api/v1/users", { json: { email: "  Bob@Hbtn.io ", password: "pw-secret" } });
      expect(created).toMatchObject({ status: 201, json: { email: "Bob@Hbtn.io" } });
      for (const email of ["bob@hbtn.io", "BOB@HBTN.IO", " bob@hbtn.io"]) {
        expect(await call(app, "/api/v1/users", { json: { email, password: "pw-secret" } })).toMatchObject({ status: 400, json: { error: "email already exists" } });
      }
      expect((await call(app, "/api/v1/stats")).json).toEqual({ users: 1 });
    });

    test("an address without an @ and a domain is refused at creation", async () => {
      const app = testApp();
      for (const email of ["notanemail", "a@", "@b.c", "a b@c.d", "a@b@c"]) {
        expect(await call(app, "/api/v1/users", { json: { email, password: "pw-secret" } })).toMatchObject({ status: 400, json: { error: "invalid email" } });
      }
    });

    test("login, Basic and the throttle find the account in any case", async () => {
      const dir = tempDir();
      await seedUsers(dir, [legacyUser("Bob@hbtn.io", "pw-secret")]);
      const sessions = testApp({ AUTH_TYPE: "session_auth", LOGIN_MAX_FAILURES_PER_ACCOUNT: "3" }, { dataDir: dir });
      expect((await call(sessions, "/api/v1/auth_session/login", { form: { email: " bob@HBTN.io", password: "pw-secret" } })).json.email).toBe("Bob@hbtn.io");
      const basic = testApp({ AUTH_TYPE: "basic_auth" }, { dataDir: dir });
      expect((await call(basic, "/api/v1/users/me", { headers: { Authorization: basicHeader("BOB@hbtn.io", "pw-secret") } })).status).toBe(200);
      for (const email of ["bob@hbtn.io", "BOB@hbtn.io", "Bob@HBTN.io"]) {
        expect((await call(sessions, "/api/v1/auth_session/login", { form: { email, password: "wrong" }, client: `10.0.0.${email.length}` })).status).toBe(401);
      }
      expect((await call(sessions, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" }, client: "10.0.1.1" })).status).toBe(429);
    });
  });
}
