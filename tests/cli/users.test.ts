import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { SessionDBAuth } from "../../src/auth/session-db-auth.ts";
import { verifyPassword } from "../../src/domain/password.ts";
import { openUserStore } from "../../src/storage/user-store.ts";
import { JsonFileSessionStore } from "../../src/storage/json-file/session-store.ts";
import { readOnDisk, tempDir } from "../helpers.ts";
import { captureIo } from "./io.ts";

async function cli(dir: string, argv: string[], secret = "") {
  const run = captureIo(secret);
  const code = await runCli(argv, { DATA_DIR: dir }, run.io);
  return { code, ...run.captured };
}

async function withUser(dir: string, email = "bob@hbtn.io", password = "H0lbertonSchool98!") {
  const created = await cli(dir, ["users", "create", "--email", email, "--password", password, "--first-name", "Bob"]);
  expect(created.code).toBe(0);
  return created.out.trim();
}

/** Two stored sessions for the user, as session_db_auth would have made them. */
async function sessionsFor(dir: string, userId: string) {
  const users = openUserStore(dir);
  const userSessions = JsonFileSessionStore.open(dir);
  const auth = new SessionDBAuth({ users, sessions: userSessions, sessionName: "s", sessionDuration: 0, clock: Date.now });
  const ids = [await auth.createSession(userId), await auth.createSession(userId), await auth.createSession("someone-else")];
  await Promise.all([users.close(), userSessions.close()]);
  return ids;
}

describe("users create", () => {
  test("prints the id; the password is stored as argon2id and never printed", async () => {
    const dir = tempDir();
    const id = await withUser(dir);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const file = readFileSync(join(dir, ".db_User.json"), "utf8");
    expect(file).not.toContain("H0lbertonSchool98!");
    expect(JSON.parse(file)[id]).toMatchObject({ email: "bob@hbtn.io", first_name: "Bob", last_name: null });
  });

  test("without --password it reads one (stdin or prompt) and does not echo it", async () => {
    const dir = tempDir();
    const run = await cli(dir, ["users", "create", "--email=a@b.c"], "from stdin");
    expect(run.code).toBe(0);
    expect(run.out + run.err).not.toContain("from stdin");
    const [user] = Object.values(readOnDisk(dir, "User"));
    expect((await verifyPassword("from stdin", user._password)).valid).toBe(true);
  });

  test("a duplicate email fails with exit 1", async () => {
    const dir = tempDir();
    await withUser(dir);
    const again = await cli(dir, ["users", "create", "--email", "bob@hbtn.io", "--password", "y"]);
    expect(again.code).toBe(1);
    expect(again.err).toContain("already exists");
  });
});

describe("users list and show", () => {
  test("a table or JSON, never a password or hash", async () => {
    const dir = tempDir();
    const id = await withUser(dir);
    const table = await cli(dir, ["users", "list"]);
    expect(table.code).toBe(0);
    expect(table.out).toContain(id);
    expect(table.out).toContain("bob@hbtn.io");
    const json = await cli(dir, ["users", "list", "--json"]);
    expect(JSON.parse(json.out)).toEqual([expect.objectContaining({ id, email: "bob@hbtn.io", first_name: "Bob" })]);
    for (const argv of [["users", "show", "--email", "bob@hbtn.io"], ["users", "show", "--id", id, "--json"]]) {
      const shown = await cli(dir, argv);
      expect(shown.code).toBe(0);
      expect(shown.out).toContain("bob@hbtn.io");
      for (const output of [shown.out, table.out, json.out]) {
        expect(output).not.toContain("argon2");
        expect(output).not.toContain("_password");
      }
    }
  });

  test("an unknown user is a failure, exit 1", async () => {
    const run = await cli(tempDir(), ["users", "show", "--email", "nobody@hbtn.io"]);
    expect(run.code).toBe(1);
    expect(run.err).toContain("no user with email nobody@hbtn.io");
  });
});

describe("users delete and passwd", () => {
  test("delete removes the user and their stored sessions only", async () => {
    const dir = tempDir();
    const id = await withUser(dir);
    await sessionsFor(dir, id);
    const run = await cli(dir, ["users", "delete", "--email", "bob@hbtn.io"]);
    expect(run.code).toBe(0);
    expect(run.out).toContain("2 stored sessions");
    expect(readOnDisk(dir, "User")).toEqual({});
    expect(Object.values(readOnDisk(dir, "UserSession")).map((s) => s.user_id)).toEqual(["someone-else"]);
    expect((await cli(dir, ["users", "delete", "--id", id])).code).toBe(1);
  });

  test("passwd sets a new argon2id password and ends the user's stored sessions", async () => {
    const dir = tempDir();
    const id = await withUser(dir);
    await sessionsFor(dir, id);
    const run = await cli(dir, ["users", "passwd", "--id", id], "n3w-password");
    expect(run.code).toBe(0);
    expect(run.out + run.err).not.toContain("n3w-password");
    const stored = readOnDisk(dir, "User")[id];
    expect((await verifyPassword("n3w-password", stored._password)).valid).toBe(true);
    expect((await verifyPassword("H0lbertonSchool98!", stored._password)).valid).toBe(false);
    expect(Object.values(readOnDisk(dir, "UserSession")).map((s) => s.user_id)).toEqual(["someone-else"]);
  });

  test("passwd refuses an empty password", async () => {
    const dir = tempDir();
    await withUser(dir);
    expect((await cli(dir, ["users", "passwd", "--email", "bob@hbtn.io"], "")).code).toBe(2);
  });
});

describe("read-only commands", () => {
  test("users list and users show write nothing: a running server's journal stays as it is", async () => {
    const dir = tempDir();
    const id = await withUser(dir);
    const server = openUserStore(dir); // as a running server holds it: journal not yet folded in
    await server.update(id, { last_name: "Dylan" });
    const journal = readFileSync(join(dir, ".db_User.json.journal"), "utf8");
    const snapshot = readFileSync(join(dir, ".db_User.json"), "utf8");
    expect((await cli(dir, ["users", "list"])).code).toBe(0);
    expect((await cli(dir, ["users", "show", "--id", id])).out).toContain("Dylan");
    expect(readFileSync(join(dir, ".db_User.json.journal"), "utf8")).toBe(journal);
    expect(readFileSync(join(dir, ".db_User.json"), "utf8")).toBe(snapshot);
    await server.close();
  });
});

describe("a data folder that cannot be used", () => {
  test("read-only commands refuse a missing DATA_DIR (exit 2, one line) instead of printing an empty table", async () => {
    for (const argv of [["users", "list"], ["users", "show", "--email", "a@b.c"], ["sessions", "list"]]) {
      const run = await cli("/nonexistent/session-auth-data", argv);
      expect([argv.join(" "), run.code, run.out, run.err]).toEqual([argv.join(" "), 2, "", "session-auth: DATA_DIR /nonexistent/session-auth-data does not exist\n"]);
    }
  });

  test("commands that write refuse a folder where the first write would fail", async () => {
    const run = await cli("/proc", ["users", "create", "--email", "a@b.c", "--password", "pw-secret"]);
    expect(run.code).toBe(2);
    expect(run.err).toStartWith("session-auth: DATA_DIR /proc is not writable");
  });
});

describe("what a newcomer trips over", () => {
  test("a flag followed by another flag has no value: a usage error, not an email of --password", async () => {
    const dir = tempDir();
    for (const argv of [["users", "create", "--email", "--password", "pw-secret"], ["users", "create", "--email", "a@b", "--first-name", "--last-name", "Doe", "--password", "pw-secret"]]) {
      const run = captureIo();
      expect(await runCli(argv, { DATA_DIR: dir }, run.io)).toBe(2);
      expect(run.captured.err).toMatch(/--(email|first-name) needs a value/);
    }
    const dashed = captureIo();
    expect(await runCli(["users", "create", "--email=--odd@hbtn.io", "--password", "pw-secret"], { DATA_DIR: dir }, dashed.io)).toBe(0);
  });

  test("everything that can fail without the password fails before it is asked for", async () => {
    const dir = tempDir();
    const first = captureIo();
    expect(await runCli(["users", "create", "--email", "bob@hbtn.io", "--password", "pw-secret"], { DATA_DIR: dir }, first.io)).toBe(0);
    const cases: [string[], Record<string, string>][] = [
      [["users", "create", "--email", "bob@hbtn.io"], {}],
      [["users", "create", "--email", "new@hbtn.io"], { AUTH_TYPE: "magic" }],
      [["users", "passwd", "--email", "nobody@hbtn.io"], {}],
      [["users", "passwd"], {}],
    ];
    for (const [argv, env] of cases) {
      const run = captureIo("secret");
      expect(await runCli(argv, { DATA_DIR: dir, ...env }, run.io)).toBeGreaterThan(0);
      expect([argv.join(" "), run.captured.prompts]).toEqual([argv.join(" "), 0]);
    }
  });
});

test("users update changes the named fields only; a taken email is refused", async () => {
  const dir = tempDir();
  const run = async (...argv: string[]) => {
    const io = captureIo();
    return { code: await runCli(argv, { DATA_DIR: dir }, io.io), ...io.captured };
  };
  const id = (await run("users", "create", "--email", "bob@hbtn.io", "--first-name", "Bob", "--password", "pw-secret")).out.trim();
  await run("users", "create", "--email", "ann@hbtn.io", "--password", "pw-secret");
  const updated = await run("users", "update", "--id", id, "--last-name", "Dylan", "--json");
  expect(updated.code).toBe(0);
  expect(JSON.parse(updated.out)).toMatchObject({ email: "bob@hbtn.io", first_name: "Bob", last_name: "Dylan" });
  expect((await run("users", "update", "--email", "bob@hbtn.io", "--new-email", "robert@hbtn.io")).code).toBe(0);
  expect(readOnDisk(dir, "User")[id]).toMatchObject({ email: "robert@hbtn.io", first_name: "Bob", last_name: "Dylan" });
  expect(await run("users", "update", "--id", id, "--new-email", "ann@hbtn.io")).toMatchObject({ code: 1, err: "session-auth: a user with email ann@hbtn.io already exists\n" });
  expect((await run("users", "update", "--id", id)).code).toBe(2);
  expect((await run("users", "update", "--id", "nobody", "--first-name", "X")).code).toBe(1);
});

test("users create --admin, users update --admin / --no-admin, and the ADMIN column", async () => {
  const dir = tempDir();
  const run = async (...argv: string[]) => {
    const io = captureIo();
    return { code: await runCli(argv, { DATA_DIR: dir }, io.io), ...io.captured };
  };
  const adminId = (await run("users", "create", "--email", "root@hbtn.io", "--password", "pw-secret", "--admin")).out.trim();
  const bobId = (await run("users", "create", "--email", "bob@hbtn.io", "--password", "pw-secret")).out.trim();
  const admins = () => run("users", "list", "--json").then((r) => (JSON.parse(r.out) as { id: string; admin: boolean }[]).filter((u) => u.admin).map((u) => u.id));
  expect(await admins()).toEqual([adminId]);
  expect((await run("users", "list")).out).toMatch(/root@hbtn\.io\s+.*\s+yes\n/);
  expect((await run("users", "update", "--id", bobId, "--admin")).code).toBe(0);
  expect((await admins()).sort()).toEqual([adminId, bobId].sort());
  expect((await run("users", "update", "--id", adminId, "--no-admin")).code).toBe(0);
  expect(await admins()).toEqual([bobId]);
  expect((await run("users", "update", "--id", bobId, "--admin", "--no-admin")).code).toBe(2);
  expect(readOnDisk(dir, "User")[bobId]._admin).toBe(true);
});

test("users show and update show the admin flag and the second factors", async () => {
  const dir = tempDir();
  const id = await withUser(dir);
  const shown = await cli(dir, ["users", "show", "--id", id]);
  expect(shown.out).toMatch(/^admin\s+no$/m);
  expect(shown.out).toMatch(/^second factors\s+none$/m);
  const granted = await cli(dir, ["users", "update", "--id", id, "--admin"]);
  expect(granted.code).toBe(0);
  expect(granted.out).toMatch(/^admin\s+yes$/m);
  expect(JSON.parse((await cli(dir, ["users", "show", "--id", id, "--json"])).out)).toMatchObject({ admin: true, second_factors: [] });
  const withdrawn = await cli(dir, ["users", "update", "--id", id, "--no-admin", "--json"]);
  expect(JSON.parse(withdrawn.out)).toMatchObject({ email: "bob@hbtn.io", admin: false, second_factors: [] });
});

test("users create and passwd refuse a password shorter than PASSWORD_MIN_LENGTH, in characters", async () => {
  const dir = tempDir();
  const short = await cli(dir, ["users", "create", "--email", "bob@hbtn.io", "--password", "1234567"]);
  expect(short).toMatchObject({ code: 1, err: "session-auth: password too short (at least 8 characters)\n" });
  expect(readOnDisk(dir, "User")).toEqual({});
  const fromStdin = await cli(dir, ["users", "create", "--email", "bob@hbtn.io"], "\u{1F511}".repeat(7));
  expect(fromStdin.code).toBe(1);
  const id = await withUser(dir);
  expect(await cli(dir, ["users", "passwd", "--id", id, "--password", "short"])).toMatchObject({ code: 1, err: "session-auth: password too short (at least 8 characters)\n" });
  expect((await verifyPassword("H0lbertonSchool98!", readOnDisk(dir, "User")[id]._password)).valid).toBe(true);
  const run = captureIo();
  expect(await runCli(["users", "create", "--email", "ann@hbtn.io", "--password", "pwd"], { DATA_DIR: dir, PASSWORD_MIN_LENGTH: "3" }, run.io)).toBe(0);
});
