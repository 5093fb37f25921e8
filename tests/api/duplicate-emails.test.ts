/**
 * Data files from the original program may hold several users with one email (it never refused
 * them). They load, and every one of those records can be updated, deleted and logged into.
 */
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { captureIo } from "../cli/io.ts";
import { call, legacyUser, readOnDisk, sessionIdFrom, tempDir, testApp } from "../helpers.ts";

function twins() {
  const dir = tempDir();
  const first = legacyUser("twin@hbtn.io", "first password");
  const second = legacyUser("twin@hbtn.io", "second password");
  writeFileSync(join(dir, ".db_User.json"), JSON.stringify({ [first.id]: first, [second.id]: second }));
  return { dir, first, second };
}

test("each of two users sharing an email logs in with their own password, and their hashes are upgraded", async () => {
  const { dir, first, second } = twins();
  const app = testApp({ AUTH_TYPE: "session_auth" }, { dataDir: dir });
  for (const [user, password] of [[first, "first password"], [second, "second password"]] as const) {
    const login = await call(app, "/api/v1/auth_session/login", { form: { email: "twin@hbtn.io", password } });
    expect([login.status, login.json.id]).toEqual([200, user.id]);
    const me = await call(app, "/api/v1/users/me", { headers: { Cookie: `_my_session_id=${sessionIdFrom(login.headers)}` } });
    expect(me.json.id).toBe(user.id);
  }
  const onDisk = readOnDisk(dir, "User");
  expect(onDisk[first.id]._password).toStartWith("$argon2id$");
  expect(onDisk[second.id]._password).toStartWith("$argon2id$");
  expect((await call(app, "/api/v1/auth_session/login", { form: { email: "twin@hbtn.io", password: "neither" } })).status).toBe(401);
  await app.close();
});

test("each can be renamed and deleted through the API", async () => {
  const { dir, first, second } = twins();
  const app = testApp({}, { dataDir: dir });
  expect((await call(app, `/api/v1/users/${first.id}`, { method: "PUT", json: { first_name: "One" } })).status).toBe(200);
  expect((await call(app, `/api/v1/users/${second.id}`, { method: "PUT", json: { first_name: "Two" } })).status).toBe(200);
  expect(readOnDisk(dir, "User")[second.id].first_name).toBe("Two");
  expect((await call(app, `/api/v1/users/${first.id}`, { method: "DELETE" })).status).toBe(200);
  expect(Object.keys(readOnDisk(dir, "User"))).toEqual([second.id]);
  // With the clash gone, the email is as unique as any other.
  expect((await call(app, "/api/v1/users", { json: { email: "twin@hbtn.io", password: "x" } })).json).toEqual({ error: "email already exists" });
  await app.close();
});

test("the CLI says which records clash, refuses to guess by --email, and works by --id", async () => {
  const { dir, first, second } = twins();
  const cli = async (...argv: string[]) => {
    const { io, captured } = captureIo();
    return { code: await runCli(argv, { DATA_DIR: dir }, io), ...captured };
  };
  const list = await cli("users", "list");
  expect(list.code).toBe(0);
  expect(list.err).toBe(`session-auth: warning: 2 users share email twin@hbtn.io (${first.id}, ${second.id}); name them with --id\n`);
  const byEmail = await cli("users", "passwd", "--email", "twin@hbtn.io", "--password", "x");
  expect([byEmail.code, byEmail.err]).toEqual([1, `session-auth: 2 users have email twin@hbtn.io: ${first.id}, ${second.id}; name one with --id\n`]);
  expect((await cli("users", "passwd", "--id", second.id, "--password", "renewed")).code).toBe(0);
  expect(readOnDisk(dir, "User")[second.id]._password).toStartWith("$argon2id$");
  expect(readOnDisk(dir, "User")[first.id]._password).toBe(first._password);
  expect((await cli("users", "delete", "--id", first.id)).code).toBe(0);
  expect(Object.keys(readOnDisk(dir, "User"))).toEqual([second.id]);
});
