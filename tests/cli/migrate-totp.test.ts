import { describe, expect, test } from "bun:test";
import { base32Decode, totp } from "../../src/auth/factors/totp.ts";
import { runCli } from "../../src/cli.ts";
import { backendEnv, call, FakeClock, legacyUser, seedUsers, sessionIdFrom, tempDir, testApp } from "../helpers.ts";
import { captureIo } from "./io.ts";

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
const LOGIN = "/api/v1/auth_session/login";

describe.skipIf(!TEST_DATABASE_URL)("migrate copies one-time-code factors", () => {
  test("the factor, its used step and its recovery codes work the same in PostgreSQL with the same key", async () => {
    const dir = tempDir();
    await seedUsers(dir, [legacyUser("bob@hbtn.io", "pw-secret")]);
    const clock = new FakeClock();
    const json = testApp({ AUTH_TYPE: "session_db_auth" }, { dataDir: dir, clock });
    const session = sessionIdFrom((await call(json, LOGIN, { form: { email: "bob@hbtn.io", password: "pw-secret" } })).headers);
    const cookie = { Cookie: `_my_session_id=${session}` };
    const { secret } = (await call(json, "/api/v1/auth_session/totp", { method: "POST", headers: cookie })).json;
    const usedCode = await totp(base32Decode(secret)!, clock.now);
    const { recovery_codes: codes } = (await call(json, "/api/v1/auth_session/totp/confirm", { form: { code: usedCode }, headers: cookie })).json;
    await json.close();

    const { DATABASE_SCHEMA: schema } = backendEnv("postgres", tempDir());
    const migrated = captureIo();
    expect(await runCli(["migrate", "--to", TEST_DATABASE_URL!, "--schema", schema!], { DATA_DIR: dir }, migrated.io)).toBe(0);
    expect(migrated.captured.out).toBe(`copied 1 user, 1 session and 1 one-time-code factor to PostgreSQL (schema ${schema})\n`);

    // The key file of the data folder, given as SECRET_KEY.
    const key = (await Bun.file(`${dir}/.totp.key`).text()).trim();
    const pg = testApp({ AUTH_TYPE: "session_db_auth", DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: schema!, SECRET_KEY: key }, { dataDir: tempDir(), clock });
    try {
      const login = (code?: string) => call(pg, LOGIN, { form: { email: "bob@hbtn.io", password: "pw-secret", ...(code ? { code } : {}) } });
      expect((await login()).json).toMatchObject({ error: "second factor required", factors: ["totp"] });
      expect((await login(usedCode)).status).toBe(401);
      expect((await login(codes[0])).status).toBe(200);
      clock.advance(30);
      expect((await login(await totp(base32Decode(secret)!, clock.now))).status).toBe(200);
    } finally {
      await pg.close();
    }
  });
});
