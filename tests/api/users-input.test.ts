/**
 * What a backend could not store is refused before it reaches one, the same on every backend;
 * the user list is streamed in batches, byte for byte the original's answer, with optional pages.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { toPublicUser, type UserRecord } from "../../src/domain/user.ts";
import { stringifySorted } from "../../src/sorted-json.ts";
import { available, BACKENDS, basicHeader, call, legacyUser, on, tempDir } from "../helpers.ts";

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}]`, () => {
    const { testApp, seedUsers, closeApps, storedUser } = on(backend);
    afterEach(closeApps);

    describe("input no backend could store", () => {
      test("NUL characters and over-long fields are a 400 that names the field; nothing is stored", async () => {
        const dir = tempDir();
        const app = testApp({}, { dataDir: dir });
        const refused: [Record<string, unknown>, string][] = [
          [{ email: "a\u0000b@hbtn.io", password: "pw-secret" }, "email must not contain a NUL character"],
          [{ email: `${"a".repeat(4000)}@hbtn.io`, password: "pw-secret" }, "email too long (at most 320 characters)"],
          [{ email: "ok@hbtn.io", password: "pw-secret", first_name: "Bo\u0000b" }, "first_name must not contain a NUL character"],
          [{ email: "ok@hbtn.io", password: "pw-secret", last_name: "x".repeat(257) }, "last_name too long (at most 256 characters)"],
          [{ email: "ok@hbtn.io", password: "x".repeat(1025) }, "password too long (at most 1024 characters)"],
        ];
        for (const [body, error] of refused) expect(await call(app, "/api/v1/users", { json: body })).toMatchObject({ status: 400, json: { error } });
        expect((await call(app, "/api/v1/stats")).json).toEqual({ users: 0 });
        const created = await call(app, "/api/v1/users", { json: { email: "ok@hbtn.io", password: "pw-secret" } });
        expect(created.status).toBe(201);
        expect(await call(app, `/api/v1/users/${created.json.id}`, { method: "PUT", json: { first_name: "\u0000" } })).toMatchObject({ status: 400, json: { error: "first_name must not contain a NUL character" } });
        expect((await storedUser(dir, created.json.id))?.first_name).toBeNull();
      });

      test("a password shorter than PASSWORD_MIN_LENGTH (in characters, not UTF-16 units) is a 400; a shorter stored one still logs in", async () => {
        const dir = tempDir();
        await seedUsers(dir, [legacyUser("old@hbtn.io", "pwd")]);
        const app = testApp({ AUTH_TYPE: "session_auth" }, { dataDir: dir });
        const cookie = (await call(app, "/api/v1/auth_session/login", { form: { email: "old@hbtn.io", password: "pwd" } })).headers.get("set-cookie")!.split(";")[0]!;
        const create = (password: string, email = "new@hbtn.io") => call(app, "/api/v1/users", { json: { email, password }, headers: { Cookie: cookie } });
        const tooShort = { status: 400, json: { error: "password too short (at least 8 characters)" } };
        expect(await create("1234567")).toMatchObject(tooShort);
        // Seven emoji are fourteen UTF-16 units, still seven characters.
        expect(await create("\u{1F511}".repeat(7))).toMatchObject(tooShort);
        expect((await call(app, "/api/v1/stats", { headers: { Cookie: cookie } })).json).toEqual({ users: 1 });
        expect((await create("\u{1F511}".repeat(8))).status).toBe(201);
        expect((await create("12345678", "other@hbtn.io")).status).toBe(201);
        const lenient = testApp({ PASSWORD_MIN_LENGTH: "3" }, { dataDir: tempDir() });
        expect((await call(lenient, "/api/v1/users", { json: { email: "a@hbtn.io", password: "pwd" } })).status).toBe(201);
        expect(await call(lenient, "/api/v1/users", { json: { email: "b@hbtn.io", password: "pw" } })).toMatchObject({ status: 400, json: { error: "password too short (at least 3 characters)" } });
      });

      test("an id or an email no backend could hold names no one: 404, never a 5xx", async () => {
        const dir = tempDir();
        await seedUsers(dir, [legacyUser("bob@hbtn.io", "pw-secret")]);
        const app = testApp({}, { dataDir: dir });
        for (const id of ["a%00b", "x".repeat(300)]) {
          expect((await call(app, `/api/v1/users/${id}`)).status).toBe(404);
          expect((await call(app, `/api/v1/users/${id}`, { method: "PUT", json: { first_name: "x" } })).status).toBe(404);
          expect((await call(app, `/api/v1/users/${id}`, { method: "DELETE" })).status).toBe(404);
        }
        const sessions = testApp({ AUTH_TYPE: "session_auth" }, { dataDir: dir });
        for (const email of ["a\u0000b", "a".repeat(4000)]) {
          expect(await call(sessions, "/api/v1/auth_session/login", { form: { email, password: "pw-secret" } })).toMatchObject({ status: 404, json: { error: "no user found for this email" } });
        }
        const basic = testApp({ AUTH_TYPE: "basic_auth" }, { dataDir: dir });
        expect((await call(basic, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob\u0000@hbtn.io", "pw-secret") } })).status).toBe(403);
        expect((await call(basic, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob@hbtn.io", "pw-secret") } })).status).toBe(200);
      });
    });

    describe("GET /api/v1/users", () => {
      const users = (count: number): UserRecord[] =>
        Array.from({ length: count }, (_, i) => ({ ...legacyUser(`user${i}@hbtn.io`, "pw-secret"), created_at: `2017-10-16T04:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}`, first_name: i % 3 ? `Ünïcode ${i}` : null }));

      for (const count of [0, 1, 1000, 1001, 2345]) {
        test(`${count} users: the original's exact answer, in batches`, async () => {
          const dir = tempDir();
          const seeded = users(count);
          await seedUsers(dir, seeded);
          const app = testApp({}, { dataDir: dir });
          const listed = await call(app, "/api/v1/users");
          expect(listed.status).toBe(200);
          expect(listed.headers.get("content-type")).toBe("application/json");
          expect(listed.headers.get("access-control-allow-origin")).toBe("*");
          const expected = (await app.users.all()).map(toPublicUser);
          expect(expected).toHaveLength(count);
          expect(listed.text).toBe(stringifySorted(expected));
        }, 60_000);
      }

      test("?page and ?per_page give one page of the same list; bad values are a 400", async () => {
        const dir = tempDir();
        await seedUsers(dir, users(25));
        const app = testApp({}, { dataDir: dir });
        const all = (await call(app, "/api/v1/users")).json as { id: string }[];
        const page = (query: string) => call(app, `/api/v1/users?${query}`);
        expect(((await page("page=2&per_page=10")).json as { id: string }[]).map((u) => u.id)).toEqual(all.slice(10, 20).map((u) => u.id));
        expect(((await page("page=3&per_page=10")).json as unknown[]).length).toBe(5);
        expect((await page("page=4&per_page=10")).json).toEqual([]);
        expect(((await page("page=1")).json as unknown[]).length).toBe(25);
        expect(((await page("per_page=7")).json as { id: string }[]).map((u) => u.id)).toEqual(all.slice(0, 7).map((u) => u.id));
        for (const bad of ["page=0", "page=abc", "per_page=0", "per_page=1001", "page=-1"]) expect((await page(bad)).status).toBe(400);
        expect((await page("other=1")).json).toHaveLength(25);
      });
    });
  });
}
