/**
 * The original program and session-auth on one data folder at the same time: the original's
 * models (scripts/original/models.py, run by python3) read what our server wrote within a
 * second, and users it creates can log in on our running server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SOURCE_COMMAND, type ServerProcess, spawnServer } from "../scripts/lib/spawn-server.ts";
import { sessionKey } from "../src/auth/session-auth.ts";
import { JsonFileSessionStore } from "../src/storage/json-file/session-store.ts";
import { openUserStore } from "../src/storage/user-store.ts";
import { basicHeader, legacyUser, tempDir } from "./helpers.ts";

const MODELS = join(ROOT, "scripts", "original", "models.py");
const hasPython = Bun.spawnSync(["python3", "--version"]).exitCode === 0;

function original(dir: string, ...args: string[]): string {
  const run = Bun.spawnSync(["python3", MODELS, dir, ...args]);
  if (run.exitCode !== 0) throw new Error(`models.py ${args.join(" ")} failed:\n${run.stderr.toString()}`);
  return run.stdout.toString();
}

/** Polls until `check` passes, for at most a second; how long it took. */
async function withinASecond(check: () => boolean | Promise<boolean>, seconds = 1): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > seconds * 1000) throw new Error(`not seen within ${seconds} s`);
    await Bun.sleep(20);
  }
  return performance.now() - started;
}

describe.skipIf(!hasPython)("the original program beside a running server", () => {
  const dir = tempDir();
  let server: ServerProcess;
  let cookie: string;

  beforeAll(async () => {
    const admin = Bun.spawnSync([...SOURCE_COMMAND, "users", "create", "--email", "admin@hbtn.io", "--password", "admin-secret"], { env: { PATH: process.env.PATH ?? "", DATA_DIR: dir } });
    expect(admin.exitCode).toBe(0);
    server = await spawnServer(SOURCE_COMMAND, { DATA_DIR: dir, AUTH_TYPE: "session_db_auth" });
    const login = await fetch(`${server.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: "admin@hbtn.io", password: "admin-secret" }) });
    expect(login.status).toBe(200);
    cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
  });

  afterAll(async () => {
    server.process.kill("SIGTERM");
    await server.process.exited;
  });

  test("a user created through our API is in the file the original program loads, within a second", async () => {
    const created = await fetch(`${server.base}/api/v1/users`, { method: "POST", headers: { Cookie: cookie, "content-type": "application/json" }, body: JSON.stringify({ email: "api@hbtn.io", password: "pw-secret", first_name: "Api" }) });
    expect(created.status).toBe(201);
    await withinASecond(() => original(dir, "users").includes('"api@hbtn.io"'));
    const users = JSON.parse(original(dir, "users")) as { email: string; first_name: string | null }[];
    expect(users.find((user) => user.email === "api@hbtn.io")?.first_name).toBe("Api");
  });

  test("a session our server stored is in the file the original program loads", async () => {
    const login = await fetch(`${server.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: "api@hbtn.io", password: "pw-secret" }) });
    const sessionId = /_my_session_id=([^;]*)/.exec(login.headers.get("set-cookie") ?? "")![1]!;
    await withinASecond(() => original(dir, "sessions").includes(sessionKey(sessionId)));
    const sessions = JSON.parse(original(dir, "sessions")) as { user_id: string; session_id: string; created_at: string }[];
    const stored = sessions.find((session) => session.session_id === sessionKey(sessionId))!;
    expect(stored.user_id).toBe(((await login.json()) as { id: string }).id);
    expect(stored.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  test("a user the original program creates while our server runs logs in, by session and by Basic, without a restart", async () => {
    // The original rewrites the whole file: it runs once ours holds every change.
    await withinASecond(() => !existsSync(join(dir, ".db_User.json.journal")));
    const id = original(dir, "create-user", "python@hbtn.io", "from python").trim();
    const login = () => fetch(`${server.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: "python@hbtn.io", password: "from python" }) });
    // Each try costs a password check (a dummy one while the user is unknown): two seconds for a busy machine.
    await withinASecond(async () => (await login()).status === 200, 2);
    const basic = await spawnServer(SOURCE_COMMAND, { DATA_DIR: dir, AUTH_TYPE: "basic_auth" });
    try {
      const me = await fetch(`${basic.base}/api/v1/users/me`, { headers: { Authorization: basicHeader("python@hbtn.io", "from python") } });
      expect([me.status, ((await me.json()) as { id: string }).id]).toEqual([200, id]);
    } finally {
      basic.process.kill("SIGTERM");
      await basic.process.exited;
    }
    // The login upgraded the SHA-256 hash; the original program still loads the file.
    await withinASecond(() => original(dir, "users").includes("python@hbtn.io"));
  });
});

describe.skipIf(!hasPython)("files the original program and session-auth both read", () => {
  const stamp = "2026-12-01T10:00:00";
  const entries = (records: [string, object][]) => `{${records.map(([key, record]) => `${JSON.stringify(key)}: ${JSON.stringify(record)}`).join(", ")}}`;
  const idsAndKeys = (sessions: { id: string; session_id: string }[]) => sessions.map((session) => `${session.id} ${session.session_id}`).sort();

  test("one session id twice, first kept as an object then packed: both keep the last copy, before and after session-auth rewrites the file", async () => {
    const dir = tempDir();
    const user = crypto.randomUUID();
    const session = (id = crypto.randomUUID()) => ({ id, created_at: stamp, updated_at: stamp, user_id: user, session_id: sessionKey(crypto.randomUUID()) });
    const id = crypto.randomUUID();
    const [first, other, second] = [{ ...session(id), note: "a field the packed sessions have no place for" }, session(), session(id)];
    writeFileSync(join(dir, ".db_UserSession.json"), entries([[id, first], [other.id, other], [id, second]]));
    const python = () => JSON.parse(original(dir, "sessions")) as { id: string; session_id: string }[];
    expect(idsAndKeys(python())).toEqual(idsAndKeys([second, other]));
    const store = JsonFileSessionStore.open(dir, { liveFileMaxBytes: 0 });
    expect(idsAndKeys(await store.list())).toEqual(idsAndKeys(python()));
    const added = session();
    await store.create(added);
    await store.close();
    expect(idsAndKeys(python())).toEqual(idsAndKeys([second, other, added]));
  });

  test("a lone surrogate in a user's name reaches the original program unchanged after session-auth rewrites the file", async () => {
    const dir = tempDir();
    const odd = { ...legacyUser("odd@hbtn.io", "pw"), first_name: "x\ud800y", last_name: "\udfff" };
    writeFileSync(join(dir, ".db_User.json"), entries([[odd.id, odd]]));
    const store = openUserStore(dir, { liveFileMaxBytes: 0 });
    await store.save(legacyUser("new@hbtn.io", "pw"));
    await store.close();
    const users = JSON.parse(original(dir, "users")) as { id: string; first_name: string; last_name: string }[];
    expect(users.find((user) => user.id === odd.id)).toMatchObject({ first_name: "x\ud800y", last_name: "\udfff" });
  });
});
