import { describe, expect, test } from "bun:test";
import { runCli } from "../../src/cli.ts";
import { SessionDBAuth } from "../../src/auth/session-db-auth.ts";
import { openUserStore } from "../../src/storage/user-store.ts";
import { JsonFileSessionStore } from "../../src/storage/json-file/session-store.ts";
import { backendEnv, call, legacyUser, seedUsers, tempDir, testApp } from "../helpers.ts";
import { captureIo } from "./io.ts";

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

test("migrate needs --to, and a User file to copy", async () => {
  const noTarget = captureIo();
  expect(await runCli(["migrate"], { DATA_DIR: tempDir() }, noTarget.io)).toBe(2);
  const noData = captureIo();
  expect(await runCli(["migrate", "--to", "postgres://u@127.0.0.1:1/db"], { DATA_DIR: tempDir() }, noData.io)).toBe(1);
  expect(noData.captured.err).toContain(".db_User.json");
});

test("migrate's errors name the flag that was typed; help migrate is its help", async () => {
  const notUrl = captureIo();
  expect(await runCli(["migrate", "--to", "notaurl"], { DATA_DIR: tempDir() }, notUrl.io)).toBe(2);
  expect(notUrl.captured.err).toBe("session-auth: --to is not a URL\n");
  const badSchema = captureIo();
  expect(await runCli(["migrate", "--to", "postgres://u@127.0.0.1:1/db", "--schema", "Bad-Name"], { DATA_DIR: tempDir() }, badSchema.io)).toBe(2);
  expect(badSchema.captured.err).toStartWith("session-auth: --schema must be");
  const help = captureIo();
  expect(await runCli(["help", "migrate"], {}, help.io)).toBe(0);
  expect(help.captured.out).toStartWith("Usage: session-auth migrate");
});

describe.skipIf(!TEST_DATABASE_URL)("migrate into PostgreSQL", () => {
  test("users keep their passwords (SHA-256 ones too) and sessions keep working; running it again is harmless", async () => {
    const dir = tempDir();
    const bob = legacyUser("bob@hbtn.io", "fake pwd");
    await seedUsers(dir, [bob]);
    const users = openUserStore(dir);
    const userSessions = JsonFileSessionStore.open(dir);
    const sessionId = (await new SessionDBAuth({ users, sessions: userSessions, sessionName: "_my_session_id", sessionDuration: 0, clock: Date.now }).createSession(bob.id))!;
    await Promise.all([users.close(), userSessions.close()]);

    const { DATABASE_SCHEMA: schema } = backendEnv("postgres", tempDir());
    for (let run = 0; run < 2; run++) {
      const migrated = captureIo();
      expect(await runCli(["migrate", "--to", TEST_DATABASE_URL!, "--schema", schema!], { DATA_DIR: dir }, migrated.io)).toBe(0);
      expect(migrated.captured.out).toBe(`copied 1 user and 1 session to PostgreSQL (schema ${schema})\n`);
    }

    const app = testApp({ AUTH_TYPE: "session_db_auth", DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: schema! }, { dataDir: tempDir() });
    try {
      expect((await call(app, "/api/v1/users/me", { headers: { cookie: `_my_session_id=${sessionId}` } })).json.email).toBe("bob@hbtn.io");
      expect((await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "fake pwd" } })).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  test("users' groups are copied too, and verify sends them from PostgreSQL", async () => {
    const dir = tempDir();
    const created = captureIo();
    expect(await runCli(["users", "create", "--email", "ann@hbtn.io", "--password", "pw-secret", "--groups", "ops,dev"], { DATA_DIR: dir }, created.io)).toBe(0);
    const { DATABASE_SCHEMA: schema } = backendEnv("postgres", tempDir());
    const migrated = captureIo();
    expect(await runCli(["migrate", "--to", TEST_DATABASE_URL!, "--schema", schema!], { DATA_DIR: dir }, migrated.io)).toBe(0);
    expect(migrated.captured.out).toBe(`copied 1 user and 1 user's group list to PostgreSQL (schema ${schema})\n`);
    const app = testApp({ AUTH_TYPE: "basic_auth", DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: schema! }, { dataDir: tempDir() });
    try {
      const verify = await call(app, "/api/v1/auth/verify", { headers: { Authorization: `Basic ${btoa("ann@hbtn.io:pw-secret")}` } });
      expect([verify.status, verify.headers.get("remote-groups")]).toEqual([200, "dev,ops"]);
    } finally {
      await app.close();
    }
  });

  test("on a terminal, a large copy shows its progress, then clears the line", async () => {
    const dir = tempDir();
    await seedUsers(dir, Array.from({ length: 3000 }, (_, i) => legacyUser(`user${i}@hbtn.io`, "pw-secret")));
    const { DATABASE_SCHEMA: schema } = backendEnv("postgres", tempDir());
    const migrated = captureIo();
    const lines: (string | null)[] = [];
    migrated.io.progress = (line) => void lines.push(line);
    expect(await runCli(["migrate", "--to", TEST_DATABASE_URL!, "--schema", schema!], { DATA_DIR: dir }, migrated.io)).toBe(0);
    const shown = lines.filter((line): line is string => line !== null);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.at(-1)).toMatch(/^User: 3,000 of 3,000 copied, [\d,]+\/s$/);
    expect(lines.at(-1)).toBeNull();
  }, 60_000);
});
