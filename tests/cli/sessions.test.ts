import { describe, expect, test } from "bun:test";
import { runCli } from "../../src/cli.ts";
import { sessionKey } from "../../src/auth/session-auth.ts";
import { formatTimestamp } from "../../src/domain/base.ts";
import { JsonFileSessionStore } from "../../src/storage/json-file/session-store.ts";
import { readOnDisk, tempDir } from "../helpers.ts";
import { captureIo } from "./io.ts";

async function cli(dir: string, argv: string[], env: Record<string, string> = {}) {
  const run = captureIo();
  const code = await runCli(argv, { DATA_DIR: dir, ...env }, run.io);
  return { code, ...run.captured };
}

/** A user and stored sessions of given ages (seconds). */
async function setUp(ages: number[]) {
  const dir = tempDir();
  const created = captureIo();
  await runCli(["users", "create", "--email", "bob@hbtn.io", "--password", "pw-secret"], { DATA_DIR: dir }, created.io);
  const userId = created.captured.out.trim();
  const store = JsonFileSessionStore.open(dir);
  const cookies: string[] = [];
  for (const age of ages) {
    const cookie = crypto.randomUUID();
    cookies.push(cookie);
    const at = formatTimestamp(Date.now() - age * 1000);
    await store.create({ id: crypto.randomUUID(), created_at: at, updated_at: at, user_id: userId, session_id: sessionKey(cookie) });
  }
  await store.close();
  return { dir, userId, cookies };
}

describe("sessions", () => {
  test("list shows user, session, age, last use and expiry, never the cookie value or its hash, and says which expiry settings it used", async () => {
    const { dir, cookies } = await setUp([7200, 30]);
    const run = await cli(dir, ["sessions", "list"], { SESSION_DURATION: "3600" });
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^USER\s+SESSION\s+CREATED AT\s+AGE\s+LAST USED\s+FROM\s+BROWSER\s+EXPIRES IN$/);
    expect(lines[1]).toMatch(/^bob@hbtn\.io\s+[0-9a-f-]{36}\s+\S+\s+2h\s+2h\s+expired$/);
    expect(lines[2]).toMatch(/^bob@hbtn\.io\s+[0-9a-f-]{36}\s+\S+\s+30s\s+30s\s+59m$/);
    expect(run.err).toContain("expiry: SESSION_DURATION 3600 s, SESSION_IDLE_TIMEOUT not set here");
    for (const cookie of cookies) {
      expect(run.out).not.toContain(cookie);
      expect(run.out).not.toContain(sessionKey(cookie));
    }
    expect((await cli(dir, ["sessions", "list", "--user", "bob@hbtn.io"], { SESSION_DURATION: "0", SESSION_IDLE_TIMEOUT: "0" })).out).toContain("never");
  });

  test("list does not claim sessions never expire when the expiry settings are not given where it runs: ? and a note", async () => {
    const { dir } = await setUp([7200, 30]);
    const run = await cli(dir, ["sessions", "list"]);
    expect(run.code).toBe(0);
    const lines = run.out.trimEnd().split("\n");
    expect(lines.slice(1).map((line) => line.split(/\s+/).at(-1))).toEqual(["?", "?"]);
    expect(run.out).not.toContain("never");
    expect(run.err).toContain("expiry unknown");
    expect(run.err).toContain("SESSION_DURATION");
    const json = JSON.parse((await cli(dir, ["sessions", "list", "--json"])).out) as { expires_in_seconds: number | null; expired: boolean | null }[];
    expect(json.map((s) => [s.expires_in_seconds, s.expired])).toEqual([
      [null, null],
      [null, null],
    ]);
    // One setting given: its limit shows; the note names the other.
    const one = await cli(dir, ["sessions", "list"], { SESSION_DURATION: "3600" });
    expect(one.out.trimEnd().split("\n").slice(1).map((line) => line.split(/\s+/).at(-1))).toEqual(["expired", "59m"]);
    expect(one.err).toContain("SESSION_IDLE_TIMEOUT not set here");
    // Given as "no limit" (0), explicitly: never.
    const never = await cli(dir, ["sessions", "list"], { SESSION_DURATION: "0", SESSION_IDLE_TIMEOUT: "0" });
    expect(never.out.trimEnd().split("\n").slice(1).map((line) => line.split(/\s+/).at(-1))).toEqual(["never", "never"]);
    expect(never.err).not.toContain("unknown");
  });

  test("list --json, and --id as the users commands take it; the idle timeout counts in the expiry", async () => {
    const { dir, userId, cookies } = await setUp([600, 30]);
    const run = await cli(dir, ["sessions", "list", "--id", userId, "--json"], { SESSION_IDLE_TIMEOUT: "300" });
    expect(run.code).toBe(0);
    const sessions = JSON.parse(run.out) as { id: string; email: string; expired: boolean; expires_in_seconds: number | null }[];
    expect(sessions.map((s) => [s.email, s.expired])).toEqual([
      ["bob@hbtn.io", true],
      ["bob@hbtn.io", false],
    ]);
    expect(sessions[1]!.expires_in_seconds).toBeGreaterThan(260);
    for (const cookie of cookies) expect(run.out).not.toContain(sessionKey(cookie));
    expect((await cli(dir, ["sessions", "list", "--id", "nobody"])).code).toBe(1);
  });

  test("revoke ends every stored session of the user", async () => {
    const { dir } = await setUp([10, 20, 30]);
    const run = await cli(dir, ["sessions", "revoke", "--user", "bob@hbtn.io"]);
    expect(run).toMatchObject({ code: 0, out: "ended 3 stored sessions of bob@hbtn.io\n" });
    expect(readOnDisk(dir, "UserSession")).toEqual({});
    expect((await cli(dir, ["sessions", "revoke", "--user", "nobody@hbtn.io"])).code).toBe(1);
    const again = await setUp([10]);
    expect((await cli(again.dir, ["sessions", "revoke", "--id", again.userId])).out).toBe("ended 1 stored session of bob@hbtn.io\n");
    expect((await cli(again.dir, ["sessions", "revoke"])).code).toBe(2);
  });

  test("purge removes the sessions idle past SESSION_IDLE_TIMEOUT", async () => {
    const { dir } = await setUp([7200, 5000, 30]);
    const run = await cli(dir, ["sessions", "purge"], { SESSION_IDLE_TIMEOUT: "600" });
    expect(run).toMatchObject({ code: 0, out: "purged 2 expired sessions\n" });
    expect(run.err).toContain("SESSION_IDLE_TIMEOUT 600 s");
    expect(Object.keys(readOnDisk(dir, "UserSession"))).toHaveLength(1);
  });

  test("purge removes the expired sessions by SESSION_DURATION", async () => {
    const { dir } = await setUp([7200, 5000, 30]);
    expect((await cli(dir, ["sessions", "purge"])).out).toContain("none purged");
    expect(Object.keys(readOnDisk(dir, "UserSession"))).toHaveLength(3);
    const run = await cli(dir, ["sessions", "purge"], { SESSION_DURATION: "3600" });
    expect(run).toMatchObject({ code: 0, out: "purged 2 expired sessions\n" });
    expect(Object.keys(readOnDisk(dir, "UserSession"))).toHaveLength(1);
  });
});
