/**
 * The audit trail of a running server (and of the command line beside it), with AUDIT_LOG: each
 * action adds exactly its events, each line has every field, the file is reopened on SIGHUP,
 * and no secret the test used (passwords, session cookies, stored hashes) is ever in it.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { SOURCE_COMMAND, type ServerProcess, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { captureIo } from "../cli/io.ts";
import { legacyUser, seedUsers, sessionIdFrom, tempDir } from "../helpers.ts";

const BOB = "00000000-0000-4000-8000-00000000b0b0";
const PASSWORD = "pw-Secret-Bob-1";
const NEW_PASSWORD = "pw-Secret-Bob-2-new";
const CAROL_PASSWORD = "pw-Secret-Carol-3";
const CLI_PASSWORD = "pw-Secret-Dave-4";
const FIELDS = ["time", "event", "user_id", "actor", "client", "user_agent", "request_id"];

let server: ServerProcess | null = null;
afterAll(async () => {
  server?.process.kill("SIGTERM");
  await server?.process.exited;
});

test("every event once when it happens, every field on every line, reopened on SIGHUP, and no secret anywhere", async () => {
  const dir = tempDir();
  const log = join(dir, "audit.log");
  await seedUsers(dir, [legacyUser("bob@hbtn.io", PASSWORD, BOB)]);
  const env = { AUTH_TYPE: "session_db_auth", DATA_DIR: dir, AUDIT_LOG: log, LOGIN_MAX_FAILURES_PER_ACCOUNT: "2" };
  server = await spawnServer(SOURCE_COMMAND, env);
  const base = server.base;
  const secrets = [PASSWORD, NEW_PASSWORD, CAROL_PASSWORD, CLI_PASSWORD];

  let seen = 0;
  const lines = () => (readFileSync(log, "utf8").match(/[^\n]+/g) ?? []).map((line) => JSON.parse(line) as Record<string, unknown>);
  /** Runs a step and returns the events it added (waiting up to 2 s for them to be written). */
  async function step(expected: string[], action: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
    await action();
    const deadline = Date.now() + 2000;
    let added = lines().slice(seen);
    while (added.length < expected.length && Date.now() < deadline) {
      await Bun.sleep(20);
      added = lines().slice(seen);
    }
    await Bun.sleep(50);
    added = lines().slice(seen);
    seen += added.length;
    expect(added.map((line) => line.event)).toEqual(expected);
    return added;
  }
  const form = (fields: Record<string, string>) => ({ method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "audit-test/1.0", "X-Request-Id": "req-42" }, body: new URLSearchParams(fields).toString() });
  const login = (email: string, password: string) => fetch(`${base}/api/v1/auth_session/login`, form({ email, password }));
  const withCookie = (cookie: string, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as Record<string, string>), Cookie: `_my_session_id=${cookie}` } });

  const [failed] = await step(["login.failed"], () => login("bob@hbtn.io", "wrong-guess"));
  expect(failed).toMatchObject({ reason: "wrong_password", client: "127.0.0.1", user_agent: "audit-test/1.0", request_id: "req-42" });
  const [unknown] = await step(["login.failed"], () => login("pw-Secret-typed-as-email", "x"));
  expect(unknown).toMatchObject({ reason: "unknown_email", user_id: null });
  let first = "";
  const [ok] = await step(["login.ok"], async () => (first = sessionIdFrom((await login("bob@hbtn.io", PASSWORD)).headers)));
  expect(ok).toMatchObject({ user_id: BOB, actor: BOB });
  let second = "";
  await step(["login.ok"], async () => (second = sessionIdFrom((await login("bob@hbtn.io", PASSWORD)).headers)));
  secrets.push(first, second);
  const [revoked] = await step(["session.ended"], () => fetch(`${base}/api/v1/auth_session/sessions`, withCookie(first, { method: "DELETE" })));
  expect(revoked).toMatchObject({ reason: "revoked", count: 1, user_id: BOB });
  await step(["password.changed"], () => fetch(`${base}/api/v1/auth_session/password`, withCookie(first, form({ current_password: PASSWORD, new_password: NEW_PASSWORD }))));
  let carol = "";
  const [created] = await step(["user.created"], async () => {
    const response = await fetch(`${base}/api/v1/users`, withCookie(first, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: "carol@hbtn.io", password: CAROL_PASSWORD }) }));
    carol = ((await response.json()) as { id: string }).id;
  });
  expect(created).toMatchObject({ user_id: carol, actor: BOB });
  await step(["user.changed"], () => fetch(`${base}/api/v1/users/${carol}`, withCookie(first, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ first_name: "Carol" }) })));
  await step(["login.ok"], async () => secrets.push(sessionIdFrom((await login("carol@hbtn.io", CAROL_PASSWORD)).headers)));
  const deleted = await step(["user.deleted", "session.ended"], () => fetch(`${base}/api/v1/users/${carol}`, withCookie(first, { method: "DELETE" })));
  expect(deleted[1]).toMatchObject({ reason: "user_deleted", count: 1, user_id: carol, actor: BOB });
  const [logout] = await step(["session.ended"], () => fetch(`${base}/api/v1/auth_session/logout`, withCookie(first, { method: "DELETE" })));
  expect(logout).toMatchObject({ reason: "logout", user_id: BOB });
  await step(["login.failed", "login.failed"], async () => {
    await login("bob@hbtn.io", "guess-1");
    await login("bob@hbtn.io", "guess-2");
  });
  const throttled = await step(["account.throttled", "login.failed", "login.failed"], async () => {
    expect((await login("bob@hbtn.io", "guess-3")).status).toBe(429);
    expect((await login("bob@hbtn.io", "guess-4")).status).toBe(429);
  });
  expect(throttled[0]).toMatchObject({ user_id: BOB, actor: "system" });
  expect(throttled[1]).toMatchObject({ reason: "throttled" });

  // The command line, on the same data folder, writes to the same file.
  const cli = (argv: string[], password = "") => runCli(argv, { ...env }, captureIo(password).io);
  await step(["admin.granted"], async () => expect(await cli(["users", "update", "--id", BOB, "--admin"])).toBe(0));
  await step(["admin.withdrawn"], async () => expect(await cli(["users", "update", "--id", BOB, "--no-admin"])).toBe(0));
  const [dave] = await step(["user.created", "admin.granted"], async () => expect(await cli(["users", "create", "--email", "dave@hbtn.io", "--admin"], CLI_PASSWORD)).toBe(0));
  expect(dave).toMatchObject({ actor: "cli", client: null });
  await step(["password.changed"], async () => expect(await cli(["users", "passwd", "--email", "dave@hbtn.io"], `${CLI_PASSWORD}-x`)).toBe(0));
  secrets.push(`${CLI_PASSWORD}-x`);

  // logrotate: the file is moved away, SIGHUP, and the next line is in a new file.
  renameSync(log, `${log}.1`);
  server.process.kill("SIGHUP");
  await Bun.sleep(200);
  seen = 0;
  await step(["login.failed"], () => login("bob@hbtn.io", "after-rotation"));

  const all = `${readFileSync(`${log}.1`, "utf8")}${readFileSync(log, "utf8")}`;
  for (const line of all.trim().split("\n")) expect(Object.keys(JSON.parse(line)).slice(0, FIELDS.length)).toEqual(FIELDS);
  const stored = readFileSync(join(dir, ".db_User.json"), "utf8");
  const hashes = [...stored.matchAll(/"_password":\s*"([^"]+)"/g)].map((m) => m[1]!);
  expect(hashes.length).toBeGreaterThan(0);
  for (const secret of [...secrets, ...hashes]) expect(all.includes(secret) ? secret : null).toBeNull();
  expect(all).not.toContain("guess-");
  expect(all).not.toContain("pw-Secret");
}, 60_000);
