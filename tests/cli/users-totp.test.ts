import { expect, test } from "bun:test";
import { base32Decode, totp } from "../../src/auth/factors/totp.ts";
import { runCli } from "../../src/cli.ts";
import { call, legacyUser, seedUsers, sessionIdFrom, tempDir, testApp } from "../helpers.ts";
import { captureIo } from "./io.ts";

const LOGIN = "/api/v1/auth_session/login";

async function cli(dir: string, argv: string[]) {
  const run = captureIo();
  const code = await runCli(argv, { DATA_DIR: dir }, run.io);
  return { code, ...run.captured };
}

test("users show and list say who has one-time codes; totp-reset removes them and ends the user's sessions", async () => {
  const dir = tempDir();
  const bob = legacyUser("bob@hbtn.io", "pw-secret");
  const ann = legacyUser("ann@hbtn.io", "pw-secret");
  await seedUsers(dir, [bob, ann]);
  const app = testApp({ AUTH_TYPE: "session_db_auth" }, { dataDir: dir });
  const session = sessionIdFrom((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "pw-secret" } })).headers);
  const cookie = { Cookie: `_my_session_id=${session}` };
  const { secret } = (await call(app, "/api/v1/auth_session/totp", { method: "POST", headers: cookie })).json;
  expect((await call(app, "/api/v1/auth_session/totp/confirm", { form: { code: await totp(base32Decode(secret)!, Date.now()) }, headers: cookie })).status).toBe(200);
  await app.close();

  expect(JSON.parse((await cli(dir, ["users", "show", "--email", "bob@hbtn.io", "--json"])).out).second_factors).toEqual(["totp"]);
  expect(JSON.parse((await cli(dir, ["users", "show", "--email", "ann@hbtn.io", "--json"])).out).second_factors).toEqual([]);
  expect((await cli(dir, ["users", "show", "--email", "bob@hbtn.io"])).out).toMatch(/second factors\s+totp/);
  const listed = JSON.parse((await cli(dir, ["users", "list", "--json"])).out) as { email: string; second_factors: string[] }[];
  expect(Object.fromEntries(listed.map((each) => [each.email, each.second_factors]))).toEqual({ "bob@hbtn.io": ["totp"], "ann@hbtn.io": [] });
  expect((await cli(dir, ["users", "list"])).out).toMatch(/SECOND FACTOR[\s\S]*bob@hbtn\.io.*totp/);

  const reset = await cli(dir, ["users", "totp-reset", "--email", "bob@hbtn.io"]);
  expect(reset.code).toBe(0);
  expect(reset.out).toBe("one-time codes removed for bob@hbtn.io; 1 stored session ended; they log in with their password alone until they turn it on again\n");
  expect((await cli(dir, ["users", "totp-reset", "--id", bob.id])).code).toBe(1);
  expect((await cli(dir, ["users", "totp-reset", "--email", "nobody@hbtn.io"])).code).toBe(1);

  const after = testApp({ AUTH_TYPE: "session_db_auth" }, { dataDir: dir });
  try {
    expect((await call(after, "/api/v1/users/me", { headers: cookie })).status).toBe(403);
    expect((await call(after, LOGIN, { form: { email: "bob@hbtn.io", password: "pw-secret" } })).status).toBe(200);
  } finally {
    await after.close();
  }
});
