/**
 * Data files from the original program may hold several users with one email, or with case
 * variants of one (it never refused them). They load; every one of those records can be updated
 * and deleted; a login with such an address is refused with a clear message, since which account
 * is meant cannot be told, until an administrator tells them apart.
 */
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { captureIo } from "../cli/io.ts";
import { basicHeader, call, legacyUser, readOnDisk, tempDir, testApp } from "../helpers.ts";

function twins() {
  const dir = tempDir();
  const first = legacyUser("twin@hbtn.io", "first password");
  const second = legacyUser("Twin@hbtn.io", "second password");
  writeFileSync(join(dir, ".db_User.json"), JSON.stringify({ [first.id]: first, [second.id]: second }));
  return { dir, first, second };
}

test("a login with an address two accounts share is refused with a clear message, by session and by Basic", async () => {
  const { dir, first } = twins();
  const app = testApp({ AUTH_TYPE: "session_auth" }, { dataDir: dir });
  for (const email of ["twin@hbtn.io", "TWIN@hbtn.io", " twin@hbtn.io "]) {
    const login = await call(app, "/api/v1/auth_session/login", { form: { email, password: "first password" } });
    expect([login.status, login.json]).toEqual([409, { error: "several accounts have this email; an administrator must tell them apart" }]);
    expect(login.headers.get("set-cookie")).toBeNull();
  }
  const basic = testApp({ AUTH_TYPE: "basic_auth" }, { dataDir: dir });
  expect((await call(basic, "/api/v1/users/me", { headers: { Authorization: basicHeader("twin@hbtn.io", "first password") } })).status).toBe(403);
  // Told apart, each logs in again.
  const told = captureIo();
  expect(await runCli(["users", "update", "--id", first.id, "--new-email", "first@hbtn.io"], { DATA_DIR: dir }, told.io)).toBe(0);
  const reopened = testApp({ AUTH_TYPE: "session_auth" }, { dataDir: dir });
  expect((await call(reopened, "/api/v1/auth_session/login", { form: { email: "FIRST@hbtn.io", password: "first password" } })).json.id).toBe(first.id);
  expect((await call(reopened, "/api/v1/auth_session/login", { form: { email: "twin@hbtn.io", password: "second password" } })).status).toBe(200);
  await Promise.all([app.close(), basic.close(), reopened.close()]);
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
  expect((await call(app, "/api/v1/users", { json: { email: "twin@hbtn.io", password: "long enough" } })).json).toEqual({ error: "email already exists" });
  expect((await call(app, "/api/v1/users", { json: { email: " TWIN@HBTN.IO ", password: "long enough" } })).json).toEqual({ error: "email already exists" });
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
  expect(list.err).toBe(`session-auth: warning: 2 users share email twin@hbtn.io, compared without case (${first.id}, ${second.id}); none of them can log in until they are told apart: users update --id ID --new-email EMAIL\n`);
  const byEmail = await cli("users", "passwd", "--email", "twin@hbtn.io", "--password", "x");
  expect([byEmail.code, byEmail.err]).toEqual([1, `session-auth: 2 users have email twin@hbtn.io: ${first.id}, ${second.id}; name one with --id\n`]);
  expect((await cli("users", "passwd", "--id", second.id, "--password", "renewed password")).code).toBe(0);
  expect(readOnDisk(dir, "User")[second.id]._password).toStartWith("$argon2id$");
  expect(readOnDisk(dir, "User")[first.id]._password).toBe(first._password);
  expect((await cli("users", "delete", "--id", first.id)).code).toBe(0);
  expect(Object.keys(readOnDisk(dir, "User"))).toEqual([second.id]);
});
