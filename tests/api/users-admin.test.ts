/** USERS_API=admin: only admins manage users; everyone else reads and renames themselves. On every backend. */
import { afterEach, describe, expect, test } from "bun:test";
import { available, BACKENDS, basicHeader, call, legacyUser, on, tempDir } from "../helpers.ts";

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}] USERS_API=admin`, () => {
    const { testApp, seedUsers, closeApps, storedUser } = on(backend);
    afterEach(closeApps);

    async function setUp(usersApi: "admin" | "open" = "admin") {
      const dir = tempDir();
      const admin = { ...legacyUser("admin@hbtn.io", "pw-secret"), _admin: true };
      const bob = legacyUser("bob@hbtn.io", "pw-secret");
      const ann = legacyUser("ann@hbtn.io", "pw-secret");
      await seedUsers(dir, [admin, bob, ann]);
      const app = testApp({ AUTH_TYPE: "basic_auth", USERS_API: usersApi }, { dataDir: dir });
      const as = (email: string) => ({ headers: { Authorization: basicHeader(email, "pw-secret") } });
      return { dir, app, admin, bob, ann, as };
    }

    test("a user who is not an admin reads and renames themselves only; the rest is 403", async () => {
      const { dir, app, bob, ann, as } = await setUp();
      const me = as("bob@hbtn.io");
      expect((await call(app, "/api/v1/users/me", me)).status).toBe(200);
      expect((await call(app, `/api/v1/users/${bob.id}`, me)).status).toBe(200);
      expect(await call(app, `/api/v1/users/${bob.id}`, { method: "PUT", json: { first_name: "Bobby" }, ...me })).toMatchObject({ status: 200, json: { first_name: "Bobby" } });
      const refused = [
        await call(app, "/api/v1/users", me),
        await call(app, `/api/v1/users/${ann.id}`, me),
        await call(app, `/api/v1/users/${ann.id}`, { method: "PUT", json: { first_name: "X" }, ...me }),
        await call(app, "/api/v1/users", { json: { email: "new@hbtn.io", password: "pw-secret" }, ...me }),
        await call(app, `/api/v1/users/${ann.id}`, { method: "DELETE", ...me }),
        await call(app, `/api/v1/users/${bob.id}`, { method: "DELETE", ...me }),
      ];
      for (const response of refused) expect([response.status, response.json]).toEqual([403, { error: "Forbidden" }]);
      expect((await storedUser(dir, ann.id))?.first_name).toBeNull();
      expect(await storedUser(dir, bob.id)).not.toBeNull();
    });

    test("an admin lists, reads, changes, creates and deletes users; the mark never shows in the JSON", async () => {
      const { dir, app, ann, as } = await setUp();
      const admin = as("admin@hbtn.io");
      const listed = await call(app, "/api/v1/users", admin);
      expect(listed.status).toBe(200);
      expect(listed.text).not.toContain("_admin");
      expect((await call(app, `/api/v1/users/${ann.id}`, { method: "PUT", json: { last_name: "Lee" }, ...admin })).status).toBe(200);
      expect((await call(app, "/api/v1/users", { json: { email: "new@hbtn.io", password: "pw-secret" }, ...admin })).status).toBe(201);
      expect((await call(app, `/api/v1/users/${ann.id}`, { method: "DELETE", ...admin })).status).toBe(200);
      expect(await storedUser(dir, ann.id)).toBeNull();
    });

    test("USERS_API=open keeps the original's rule: any signed-in user manages users", async () => {
      const { app, ann, as } = await setUp("open");
      expect((await call(app, "/api/v1/users", as("bob@hbtn.io"))).status).toBe(200);
      expect((await call(app, `/api/v1/users/${ann.id}`, { method: "DELETE", ...as("bob@hbtn.io") })).status).toBe(200);
    });
  });
}
