import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { available, BACKENDS, basicHeader, call, FakeClock, on, tempDir } from "../helpers.ts";

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}]`, () => {
    const { testApp, storedUser, closeApps } = on(backend);
    afterEach(closeApps);

    const PUBLIC_KEYS = ["created_at", "email", "first_name", "id", "last_name", "updated_at"];

    describe("users, no authentication", () => {
      test("create, show, list, update, delete", async () => {
        const clock = new FakeClock();
        const dir = tempDir();
        const app = testApp({}, { dataDir: dir, clock });
        const created = await call(app, "/api/v1/users", { json: { email: "bob@hbtn.io", password: "H0lbertonSchool98!", first_name: "Bob" } });
        expect(created.status).toBe(201);
        expect(Object.keys(created.json)).toEqual(PUBLIC_KEYS);
        expect(created.json).toMatchObject({ email: "bob@hbtn.io", first_name: "Bob", last_name: null, created_at: "2017-10-16T04:23:04" });
        const id = created.json.id;

        expect((await call(app, `/api/v1/users/${id}`)).json).toEqual(created.json);
        expect((await call(app, `/api/v1/users/${id}/`)).json).toEqual(created.json);
        expect((await call(app, "/api/v1/users")).json).toEqual([created.json]);

        clock.advance(5);
        const updated = await call(app, `/api/v1/users/${id}`, { method: "PUT", json: { last_name: "Dylan", email: "evil@x", password: "new" } });
        expect(updated.status).toBe(200);
        expect(updated.json).toMatchObject({ first_name: "Bob", last_name: "Dylan", email: "bob@hbtn.io", updated_at: "2017-10-16T04:23:09", created_at: "2017-10-16T04:23:04" });
        expect((await call(app, `/api/v1/users/${id}`)).json).toEqual(updated.json);

        const stored = (await storedUser(dir, id))!;
        expect(stored._password).toStartWith("$argon2id$");
        expect(stored.last_name).toBe("Dylan");

        expect(await call(app, `/api/v1/users/${id}`, { method: "DELETE" })).toMatchObject({ status: 200, text: "{}\n" });
        expect(await call(app, `/api/v1/users/${id}`, { method: "DELETE" })).toMatchObject({ status: 404, json: { error: "Not found" } });
        expect(await call(app, `/api/v1/users/${id}`)).toMatchObject({ status: 404, json: { error: "Not found" } });
        expect((await call(app, "/api/v1/users")).json).toEqual([]);
      });

      test("no response ever shows a password or its hash", async () => {
        const app = testApp();
        const created = await call(app, "/api/v1/users", { json: { email: "a@b.c", password: "secret-pw" } });
        for (const response of [created, await call(app, "/api/v1/users"), await call(app, `/api/v1/users/${created.json.id}`)]) {
          expect(response.text).not.toContain("secret-pw");
          expect(response.text).not.toContain("argon2");
          expect(response.text).not.toContain("_password");
        }
      });

      const badCreates: [string, Parameters<typeof call>[2], string][] = [
        ["no body", { method: "POST" }, "Wrong format"],
        ["not JSON", { body: "email=a&password=b", headers: { "content-type": "application/x-www-form-urlencoded" } }, "Wrong format"],
        ["JSON without the JSON media type", { body: '{"email":"a","password":"b"}' }, "Wrong format"],
        ["malformed JSON", { body: '{"email":', headers: { "content-type": "application/json" } }, "Wrong format"],
        ["a JSON array", { json: [{ email: "a", password: "b" }] }, "Wrong format"],
        ["a JSON string", { json: "hello" }, "Wrong format"],
        ["JSON null", { json: null }, "Wrong format"],
        ["no email", { json: { password: "b" } }, "email missing"],
        ["an empty email", { json: { email: "", password: "b" } }, "email missing"],
        ["a null email", { json: { email: null, password: "b" } }, "email missing"],
        ["no password", { json: { email: "a@b.c" } }, "password missing"],
        ["an empty password", { json: { email: "a@b.c", password: "" } }, "password missing"],
        ["a numeric email", { json: { email: 5, password: "b" } }, "Wrong format"],
        ["an object password", { json: { email: "a@b.c", password: { x: 1 } } }, "Wrong format"],
        ["a numeric first_name", { json: { email: "a@b.c", password: "long enough", first_name: 7 } }, "Wrong format"],
      ];
      for (const [label, options, message] of badCreates) {
        test(`POST /users with ${label} → 400 ${message}`, async () => {
          const app = testApp();
          expect(await call(app, "/api/v1/users", options)).toMatchObject({ status: 400, json: { error: message } });
          expect((await call(app, "/api/v1/stats")).json).toEqual({ users: 0 });
        });
      }

      test("an email that exists already is refused, even under concurrent creates", async () => {
        const app = testApp();
        const create = () => call(app, "/api/v1/users", { json: { email: "same@hbtn.io", password: "pw-secret" } });
        const results = await Promise.all([create(), create(), create(), create()]);
        expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400]);
        expect(results.find((r) => r.status === 400)?.json).toEqual({ error: "email already exists" });
        expect((await call(app, "/api/v1/stats")).json).toEqual({ users: 1 });
      });

      test("PUT: unknown id → 404, bad body → 400 Wrong format, nothing changed", async () => {
        const app = testApp();
        const { json: user } = await call(app, "/api/v1/users", { json: { email: "a@b.c", password: "pw-secret", first_name: "A" } });
        expect(await call(app, "/api/v1/users/nope", { method: "PUT", json: { first_name: "x" } })).toMatchObject({ status: 404, json: { error: "Not found" } });
        for (const options of [{ method: "PUT" }, { method: "PUT", json: [1] }, { method: "PUT", json: { first_name: 1 } }, { method: "PUT", body: "{", headers: { "content-type": "application/json" } }]) {
          expect(await call(app, `/api/v1/users/${user.id}`, options)).toMatchObject({ status: 400, json: { error: "Wrong format" } });
        }
        expect((await call(app, `/api/v1/users/${user.id}`)).json).toEqual(user);
      });

      test("PUT with an empty object changes only updated_at", async () => {
        const clock = new FakeClock();
        const app = testApp({}, { clock });
        const { json: user } = await call(app, "/api/v1/users", { json: { email: "a@b.c", password: "pw-secret", first_name: "A", last_name: "B" } });
        clock.advance(1);
        const { json: updated } = await call(app, `/api/v1/users/${user.id}`, { method: "PUT", json: {} });
        expect(updated).toEqual({ ...user, updated_at: "2017-10-16T04:23:05" });
      });

      test.skipIf(backend !== "json")("a write the disk refuses is a JSON 500; nothing changes and the server goes on", async () => {
        const dir = tempDir();
        const app = testApp({}, { dataDir: dir });
        const { json: kept } = await call(app, "/api/v1/users", { json: { email: "kept@hbtn.io", password: "pw-secret" } });
        // A folder where the journal goes stands for a full or read-only disk, even for root.
        renameSync(join(dir, ".db_User.json.journal"), join(dir, "moved.journal"));
        mkdirSync(join(dir, ".db_User.json.journal"));
        const refused = await call(app, "/api/v1/users", { json: { email: "new@hbtn.io", password: "pw-secret" } });
        expect(refused).toMatchObject({ status: 500, json: { error: "Storage error: the change was not saved" } });
        expect(refused.text).not.toContain(dir);
        expect((await call(app, `/api/v1/users/${kept.id}`, { method: "DELETE" })).status).toBe(500);
        expect((await call(app, "/api/v1/users")).json).toEqual([kept]);
        expect((await call(app, "/api/v1/status")).status).toBe(200);
      });

      test("/users/me without authentication is 404", async () => {
        expect(await call(testApp(), "/api/v1/users/me")).toMatchObject({ status: 404, json: { error: "Not found" } });
      });

      test("a body over MAX_BODY_BYTES is a JSON 413 and nothing is stored", async () => {
        const app = testApp({ MAX_BODY_BYTES: "1024" });
        const response = await call(app, "/api/v1/users", { json: { email: "a@b.c", password: "x".repeat(2000) } });
        expect(response).toMatchObject({ status: 413, json: { error: "Request body too large" } });
        expect((await call(app, "/api/v1/stats")).json).toEqual({ users: 0 });
      });
    });

    describe("users under basic_auth (task 0)", () => {
      test("list and me with the Basic header", async () => {
        const dir = tempDir();
        const open = testApp({}, { dataDir: dir });
        const { json: bob } = await call(open, "/api/v1/users", { json: { email: "bob@hbtn.io", password: "H0lbertonSchool98!" } });
        const app = testApp({ AUTH_TYPE: "basic_auth" }, { dataDir: dir });
        const auth = { headers: { Authorization: "Basic Ym9iQGhidG4uaW86SDBsYmVydG9uU2Nob29sOTgh" } };
        expect((await call(app, "/api/v1/status")).json).toEqual({ status: "OK" });
        expect(await call(app, "/api/v1/users")).toMatchObject({ status: 401, json: { error: "Unauthorized" } });
        expect(await call(app, "/api/v1/users", auth)).toMatchObject({ status: 200, json: [bob] });
        expect(await call(app, "/api/v1/users/me", auth)).toMatchObject({ status: 200, json: bob });
        expect(await call(app, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob@hbtn.io", "nope") } })).toMatchObject({ status: 403 });
      });
    });
  });
}
