/** `migrate` copies passkeys: one registered on the JSON files signs in on PostgreSQL after. */
import { describe, expect, test } from "bun:test";
import { runCli } from "../../src/cli.ts";
import type { App } from "../../src/app/compose.ts";
import { SoftAuthenticator } from "../auth/factors/webauthn/soft-authenticator.ts";
import { backendEnv, type Call, call as callApp, legacyUser, seedUsers, sessionIdFrom, tempDir, testApp } from "../helpers.ts";
import { captureIo } from "./io.ts";

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
const PASSKEYS = "/api/v1/auth_session/passkeys";
const ORIGIN = "http://localhost:5000";
const call = (app: App, path: string, options: Call = {}) => callApp(app, path, { ...options, headers: { Host: "localhost:5000", ...options.headers } });

describe.skipIf(!TEST_DATABASE_URL)("migrate into PostgreSQL", () => {
  test("passkeys are copied with their counters, and sign in there", async () => {
    const dir = tempDir();
    const bob = legacyUser("bob@hbtn.io", "pw-secret");
    await seedUsers(dir, [bob]);
    const key = await SoftAuthenticator.create(-8);
    const json = testApp({ AUTH_TYPE: "session_db_auth" }, { dataDir: dir });
    try {
      const session = sessionIdFrom((await call(json, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" } })).headers);
      const cookie = { Cookie: `_my_session_id=${session}` };
      const options = (await call(json, `${PASSKEYS}/options`, { method: "POST", headers: cookie })).json;
      expect((await call(json, PASSKEYS, { json: { ...(await key.register(options, ORIGIN)), name: "Laptop" }, headers: cookie })).status).toBe(201);
      const request = (await call(json, `${PASSKEYS}/login_options`, { method: "POST" })).json;
      expect((await call(json, `${PASSKEYS}/login`, { json: await key.authenticate(request, ORIGIN, Buffer.from(bob.id).toString("base64url")) })).status).toBe(200);
    } finally {
      await json.close();
    }

    const { DATABASE_SCHEMA: schema } = backendEnv("postgres", tempDir());
    const migrated = captureIo();
    expect(await runCli(["migrate", "--to", TEST_DATABASE_URL!, "--schema", schema!], { DATA_DIR: dir }, migrated.io)).toBe(0);
    expect(migrated.captured.out).toBe(`copied 1 user, 2 sessions and 1 passkey to PostgreSQL (schema ${schema})\n`);

    const pg = testApp({ AUTH_TYPE: "session_db_auth", DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: schema! }, { dataDir: tempDir() });
    try {
      const request = (await call(pg, `${PASSKEYS}/login_options`, { json: { email: "bob@hbtn.io" } })).json;
      // The counter came along: the count the JSON files saw last is refused.
      key.signCount -= 1;
      expect((await call(pg, `${PASSKEYS}/login`, { json: await key.authenticate(request, ORIGIN, null) })).status).toBe(401);
      const again = (await call(pg, `${PASSKEYS}/login_options`, { json: { email: "bob@hbtn.io" } })).json;
      key.signCount += 1;
      const response = await call(pg, `${PASSKEYS}/login`, { json: await key.authenticate(again, ORIGIN, null) });
      expect(response.status).toBe(200);
      const list = (await call(pg, PASSKEYS, { headers: { Cookie: `_my_session_id=${sessionIdFrom(response.headers)}` } })).json;
      expect(list).toMatchObject([{ name: "Laptop" }]);
    } finally {
      await pg.close();
    }
  });
});
