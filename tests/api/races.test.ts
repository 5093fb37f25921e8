/**
 * No write undoes another: a write that waited (for a slow body, a password hash) changes only
 * what it names, on the record as stored when it runs, and never brings back what another write
 * removed. In-process races on every backend; the races across processes are in
 * tests/api/races-processes.test.ts.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { runCli } from "../../src/cli.ts";
import { verifyPassword } from "../../src/domain/password.ts";
import { captureIo } from "../cli/io.ts";
import { available, BACKENDS, backendEnv, call, legacyUser, on, sessionIdFrom, tempDir } from "../helpers.ts";

/** A JSON body that arrives in two parts: the first now, the rest when `finish()` is called. */
function slowJsonRequest(url: string, method: string, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  const encoder = new TextEncoder();
  let finish!: () => void;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(text.slice(0, 5)));
      finish = () => {
        controller.enqueue(encoder.encode(text.slice(5)));
        controller.close();
      };
    },
  });
  const request = new Request(`http://127.0.0.1${url}`, { method, headers: { "content-type": "application/json", ...headers }, body: stream, duplex: "half" } as RequestInit);
  return { request, finish: () => finish() };
}

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}] no write undoes another`, () => {
    const { testApp, seedUsers, storedUser, closeApps } = on(backend);
    afterEach(closeApps);

    async function appWithUser(env: Record<string, string> = {}) {
      const dir = tempDir();
      const user = legacyUser("bob@hbtn.io", "old password");
      await seedUsers(dir, [user]);
      return { dir, user, app: testApp(env, { dataDir: dir }) };
    }

    test("a slow PUT does not bring back a user deleted while its body arrived", async () => {
      const { dir, user, app } = await appWithUser();
      const put = slowJsonRequest(`/api/v1/users/${user.id}`, "PUT", { first_name: "Robert" });
      const answer = app.handle(put.request, "127.0.0.1");
      await Bun.sleep(20);
      expect((await call(app, `/api/v1/users/${user.id}`, { method: "DELETE" })).status).toBe(200);
      put.finish();
      const response = await answer;
      expect([response.status, await response.json()]).toEqual([404, { error: "Not found" }]);
      expect((await call(app, `/api/v1/users/${user.id}`)).status).toBe(404);
      expect(await storedUser(dir, user.id)).toBeNull();
    });

    test("a slow PUT does not undo a password changed (by the CLI) while its body arrived", async () => {
      const { dir, user, app } = await appWithUser();
      const put = slowJsonRequest(`/api/v1/users/${user.id}`, "PUT", { first_name: "Robert" });
      const answer = app.handle(put.request, "127.0.0.1");
      await Bun.sleep(20);
      const io = captureIo();
      const env = { DATA_DIR: dir, ...backendEnv(backend, dir) };
      expect(await runCli(["users", "passwd", "--id", user.id, "--password", "new password"], env, io.io)).toBe(0);
      put.finish();
      expect((await answer).status).toBe(200);
      const stored = (await storedUser(dir, user.id))!;
      expect(stored.first_name).toBe("Robert");
      expect((await verifyPassword("new password", stored._password)).valid).toBe(true);
      expect((await verifyPassword("old password", stored._password)).valid).toBe(false);
    });

    test("two concurrent PUTs of different fields both stand", async () => {
      const { dir, user, app } = await appWithUser();
      const first = slowJsonRequest(`/api/v1/users/${user.id}`, "PUT", { first_name: "Robert" });
      const last = slowJsonRequest(`/api/v1/users/${user.id}`, "PUT", { last_name: "Dylan" });
      const answers = [app.handle(first.request, "127.0.0.1"), app.handle(last.request, "127.0.0.1")];
      await Bun.sleep(20);
      first.finish();
      last.finish();
      expect((await Promise.all(answers)).map((response) => response.status)).toEqual([200, 200]);
      expect(await storedUser(dir, user.id)).toMatchObject({ first_name: "Robert", last_name: "Dylan" });
    });

    for (const delay of [2, 10, 25]) {
      test(`concurrent first logins of a legacy user (its hash upgraded) do not bring it back after a DELETE ${delay} ms later`, async () => {
        const { dir, user, app } = await appWithUser({ AUTH_TYPE: "session_db_auth", LOGIN_MAX_FAILURES_PER_ACCOUNT: "0" });
        const logins = Array.from({ length: 6 }, () => call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "old password" } }));
        await Bun.sleep(delay);
        const env = { DATA_DIR: dir, AUTH_TYPE: "session_db_auth", ...backendEnv(backend, dir) };
        expect(await runCli(["users", "delete", "--id", user.id], env, captureIo().io)).toBe(0);
        const answered = await Promise.all(logins);
        expect(await storedUser(dir, user.id)).toBeNull();
        // Whatever each login answered, none of its cookies opens anything now.
        for (const login of answered.filter((login) => login.status === 200)) {
          const me = await call(app, "/api/v1/users/me", { headers: { Cookie: `_my_session_id=${sessionIdFrom(login.headers)}` } });
          expect(me.status).toBe(403);
        }
        expect((await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "old password" } })).status).toBe(404);
      });
    }
  });
}
