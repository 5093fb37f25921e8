/**
 * One-time codes against running servers: codes made by oathtool and pyotp from the secret the
 * API returned are accepted; two processes on one data folder accept a code once between them,
 * and a restarted one refuses it too; the factor's events are logged, without secrets.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SOURCE_COMMAND, type ServerProcess, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { legacyUser, seedUsers, sessionIdFrom, tempDir } from "../helpers.ts";

const ENV = { AUTH_TYPE: "session_db_auth", LOG_FORMAT: "json" };

async function stop(server: ServerProcess): Promise<void> {
  server.process.kill("SIGTERM");
  await server.process.exited;
}

/** `oathtool --totp -b SECRET` at a moment: Debian's implementation. */
function oathtool(secret: string, at: number): string {
  const now = new Date(at).toISOString().slice(0, 19).replace("T", " ");
  return Bun.spawnSync(["oathtool", "--totp", "-b", `--now=${now} UTC`, secret]).stdout.toString().trim();
}

/** pyotp's code at a moment (python3-pyotp, run with /usr/bin/python3). */
function pyotp(secret: string, at: number): string {
  const run = Bun.spawnSync(["/usr/bin/python3", "-c", "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))", secret, String(Math.floor(at / 1000))]);
  if (run.exitCode !== 0) throw new Error(run.stderr.toString());
  return run.stdout.toString().trim();
}

test("oathtool's and pyotp's codes log in; two processes accept a code once; a restart refuses it; the factor's events are logged without secrets", async () => {
  const dir = tempDir();
  await seedUsers(dir, [legacyUser("bob@hbtn.io", "pw-secret")]);
  const servers: ServerProcess[] = [];
  try {
    const a = await spawnServer(SOURCE_COMMAND, { ...ENV, DATA_DIR: dir }, { logFile: join(dir, "a.log") });
    servers.push(a);
    const b = await spawnServer(SOURCE_COMMAND, { ...ENV, DATA_DIR: dir }, { logFile: join(dir, "b.log") });
    servers.push(b);
    const login = (server: ServerProcess, code?: string) =>
      fetch(`${server.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: "bob@hbtn.io", password: "pw-secret", ...(code ? { code } : {}) }) });
    const cookie = { Cookie: `_my_session_id=${sessionIdFrom((await login(a)).headers)}` };
    const begun = (await (await fetch(`${a.base}/api/v1/auth_session/totp`, { method: "POST", headers: cookie })).json()) as { secret: string };
    const now = Date.now();
    const confirm = await fetch(`${a.base}/api/v1/auth_session/totp/confirm`, { method: "POST", headers: cookie, body: new URLSearchParams({ code: oathtool(begun.secret, now) }) });
    expect(confirm.status).toBe(200);
    const { recovery_codes: codes } = (await confirm.json()) as { recovery_codes: string[] };
    // The confirming code proved the factor: the session goes on under a new id.
    const proved = { Cookie: `_my_session_id=${sessionIdFrom(confirm.headers)}` };

    // The next step's code, by pyotp, sent to both processes at once: one gets in.
    const code = pyotp(begun.secret, now + 30_000);
    const both = await Promise.all([login(a, code), login(b, code)]);
    expect(both.map((response) => response.status).sort()).toEqual([200, 401]);
    expect(await both.find((response) => response.status === 401)!.json()).toEqual({ error: "wrong code" });

    await stop(servers.shift()!);
    const restarted = await spawnServer(SOURCE_COMMAND, { ...ENV, DATA_DIR: dir }, { logFile: join(dir, "c.log") });
    servers.push(restarted);
    expect((await login(restarted, code)).status).toBe(401);
    expect((await login(restarted, codes[1]!)).status).toBe(200);
    const removed = await fetch(`${restarted.base}/api/v1/auth_session/totp`, { method: "DELETE", headers: proved, body: new URLSearchParams({ code: codes[0]! }) });
    expect(removed.status).toBe(200);
    expect((await login(b)).status).toBe(200);

    // Audited, one line each, in the logs of the three processes; no secret, code or recovery code.
    await Promise.all(servers.splice(0).map(stop));
    const log = ["a.log", "b.log", "c.log"].map((file) => readFileSync(join(dir, file), "utf8")).join("");
    const events = log.split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { event?: string }).event).filter((event) => event?.startsWith("factor."));
    expect(events.sort()).toEqual(["factor.added", "factor.failed", "factor.failed", "factor.ok", "factor.ok", "factor.removed"]);
    for (const secret of [begun.secret, code, ...codes, ...codes.map((each) => each.replace("-", ""))]) expect(log).not.toContain(secret);
  } finally {
    await Promise.all(servers.splice(0).map(stop));
  }
}, 60_000);
