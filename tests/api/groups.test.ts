/** Users' groups through the API (admins set them under USERS_API=admin), in verify's Remote-Groups and in group: rules. On every backend. */
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { available, BACKENDS, basicHeader, call, legacyUser, on, tempDir } from "../helpers.ts";

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}] groups`, () => {
    const { testApp, seedUsers, closeApps } = on(backend);
    afterEach(closeApps);

    async function setUp(usersApi: "admin" | "open" = "admin") {
      const dir = tempDir();
      const admin = { ...legacyUser("admin@hbtn.io", "pw-secret"), _admin: true };
      const bob = legacyUser("bob@hbtn.io", "pw-secret");
      await seedUsers(dir, [admin, bob]);
      const rules = join(dir, "rules.yaml");
      writeFileSync(rules, "default_policy: deny\nrules:\n  - subjects: [group:ops]\n    policy: one_factor\n");
      const app = testApp({ AUTH_TYPE: "basic_auth", USERS_API: usersApi }, { dataDir: dir });
      const guarded = testApp({ AUTH_TYPE: "basic_auth", USERS_API: usersApi, ACCESS_RULES: rules }, { dataDir: dir });
      const as = (email: string) => ({ headers: { Authorization: basicHeader(email, "pw-secret") } });
      return { dir, app, guarded, admin, bob, as };
    }

    test("an admin sets groups (lowercase, sorted, once each); they show in the user's JSON and in Remote-Groups; [] removes them", async () => {
      const { app, bob, as } = await setUp();
      const admin = as("admin@hbtn.io");
      const set = await call(app, `/api/v1/users/${bob.id}`, { method: "PUT", json: { groups: ["Ops", "dev", "ops"] }, ...admin });
      expect([set.status, set.json.groups]).toEqual([200, ["dev", "ops"]]);
      expect((await call(app, `/api/v1/users/${bob.id}`, admin)).json.groups).toEqual(["dev", "ops"]);
      expect((await call(app, "/api/v1/users/me", as("bob@hbtn.io"))).json.groups).toEqual(["dev", "ops"]);
      const verify = await call(app, "/api/v1/auth/verify", as("bob@hbtn.io"));
      expect([verify.status, verify.headers.get("remote-groups")]).toEqual([200, "dev,ops"]);
      const renamed = await call(app, `/api/v1/users/${bob.id}`, { method: "PUT", json: { first_name: "Bob" }, ...admin });
      expect(renamed.json.groups).toEqual(["dev", "ops"]);
      const cleared = await call(app, `/api/v1/users/${bob.id}`, { method: "PUT", json: { groups: [] }, ...admin });
      expect([cleared.status, "groups" in cleared.json]).toEqual([200, false]);
      expect((await call(app, "/api/v1/auth/verify", as("bob@hbtn.io"))).headers.get("remote-groups")).toBe("");
      const created = await call(app, "/api/v1/users", { json: { email: "new@hbtn.io", password: "pw-secret", groups: ["ops"] }, ...admin });
      expect([created.status, created.json.groups]).toEqual([201, ["ops"]]);
    });

    test("under USERS_API=admin only admins set groups: a user setting their own gets 403 and nothing changes; under open, anyone signed in", async () => {
      const { app, bob, as } = await setUp();
      const me = as("bob@hbtn.io");
      const refused = await call(app, `/api/v1/users/${bob.id}`, { method: "PUT", json: { groups: ["admins"] }, ...me });
      expect([refused.status, refused.json]).toEqual([403, { error: "Forbidden" }]);
      expect("groups" in (await call(app, "/api/v1/users/me", me)).json).toBe(false);
      const open = await setUp("open");
      expect((await call(open.app, `/api/v1/users/${open.bob.id}`, { method: "PUT", json: { groups: ["ops"] }, ...open.as("bob@hbtn.io") })).json.groups).toEqual(["ops"]);
    });

    test("groups that cannot be group names: 400 with the reason, nothing changed", async () => {
      const { app, bob, as } = await setUp();
      const admin = as("admin@hbtn.io");
      for (const groups of ["ops", ["a,b"], ["a b"], [1], { ops: true }]) {
        const answer = await call(app, `/api/v1/users/${bob.id}`, { method: "PUT", json: { groups }, ...admin });
        expect([JSON.stringify(groups), answer.status]).toEqual([JSON.stringify(groups), 400]);
      }
      expect("groups" in (await call(app, `/api/v1/users/${bob.id}`, admin)).json).toBe(false);
    });

    test("a group: rule admits members only; deleting the user removes their groups", async () => {
      // One app: another on the same folder would see the change a file-change event later.
      const { guarded: app, bob, as } = await setUp();
      const admin = as("admin@hbtn.io");
      expect((await call(app, "/api/v1/auth/verify", as("bob@hbtn.io"))).status).toBe(403);
      await call(app, `/api/v1/users/${bob.id}`, { method: "PUT", json: { groups: ["ops"] }, ...admin });
      const admitted = await call(app, "/api/v1/auth/verify", as("bob@hbtn.io"));
      expect([admitted.status, admitted.headers.get("remote-groups")]).toEqual([200, "ops"]);
      expect((await call(app, `/api/v1/users/${bob.id}`, { method: "DELETE", ...admin })).status).toBe(200);
      const again = await call(app, "/api/v1/users", { json: { email: "bob@hbtn.io", password: "pw-secret" }, ...admin });
      expect("groups" in again.json).toBe(false);
    });
  });
}
