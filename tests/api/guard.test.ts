import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app/compose.ts";
import { available, BACKENDS, basicHeader, call, legacyUser, on, tempDir } from "../helpers.ts";

const bobBasic = { Authorization: basicHeader("bob@hbtn.io", "H0lbertonSchool98!") };

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}] the request guard runs before routing`, () => {
    const { testApp, seedUsers, closeApps } = on(backend);
    afterAll(closeApps);
    const dir = tempDir();
    beforeAll(() => seedUsers(dir, [legacyUser("bob@hbtn.io", "H0lbertonSchool98!")]));

    for (const authType of ["auth", "basic_auth", "session_auth", "session_exp_auth", "session_db_auth"]) {
      describe(authType, () => {
        let app: App;
        beforeAll(() => {
          app = testApp({ AUTH_TYPE: authType }, { dataDir: dir });
        });

        test("public paths need nothing", async () => {
          for (const path of ["/api/v1/status", "/api/v1/status/"]) expect((await call(app, path)).status).toBe(200);
          expect((await call(app, "/api/v1/unauthorized")).status).toBe(401);
          expect((await call(app, "/api/v1/forbidden")).status).toBe(403);
        });

        test("no credentials → 401, on known and unknown paths alike", async () => {
          for (const path of ["/api/v1/users", "/api/v1/users/me", "/api/v1/stats", "/api/v1/nope", "/nope"]) {
            expect(await call(app, path)).toMatchObject({ status: 401, json: { error: "Unauthorized" } });
          }
        });

        test("credentials that name nobody → 403", async () => {
          expect(await call(app, "/api/v1/users", { headers: { Authorization: "Test" } })).toMatchObject({ status: 403, json: { error: "Forbidden" } });
          expect(await call(app, "/api/v1/users/me", { headers: { Cookie: "_my_session_id=5535d4d7-3d77-4d06-8281-495dc3acfe76" } })).toMatchObject({ status: 403 });
          expect((await call(app, "/api/v1/nope", { headers: { Authorization: "Test" } })).status).toBe(403);
        });

        test("a cookie of another name is no credential", async () => {
          expect((await call(app, "/api/v1/users", { headers: { Cookie: "_my_session_id_fake=1" } })).status).toBe(401);
        });

        test("Basic credentials count only under basic_auth", async () => {
          const response = await call(app, "/api/v1/users/me", { headers: bobBasic });
          if (authType === "basic_auth") expect(response).toMatchObject({ status: 200, json: { email: "bob@hbtn.io" } });
          else expect(response).toMatchObject({ status: 403, json: { error: "Forbidden" } });
        });
      });
    }

    test("with AUTH_TYPE unset nothing is guarded", async () => {
      const app = testApp({}, { dataDir: dir });
      expect((await call(app, "/api/v1/users")).status).toBe(200);
      expect((await call(app, "/api/v1/nope")).status).toBe(404);
    });

    test("under basic_auth there are no session routes", async () => {
      const app = testApp({ AUTH_TYPE: "basic_auth" }, { dataDir: dir });
      expect(await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "H0lbertonSchool98!" } })).toMatchObject({ status: 404, json: { error: "Not found" } });
    });

    test("a known path with the wrong method is 405 once authenticated", async () => {
      const app = testApp({ AUTH_TYPE: "basic_auth" }, { dataDir: dir });
      expect((await call(app, "/api/v1/users/me", { method: "PATCH" })).status).toBe(401);
      expect((await call(app, "/api/v1/users/me", { method: "PATCH", headers: bobBasic })).status).toBe(405);
    });
  });
}
