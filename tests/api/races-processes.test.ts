/**
 * A password change or a deletion in one process leaves no session of that user valid in
 * another, whatever the interleaving with logins: the server answers logins while the CLI, a
 * second process, resets the password or deletes the user.
 */
import { describe, expect, test } from "bun:test";
import { SOURCE_COMMAND, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { openStores } from "../../src/storage/stores.ts";
import { available, BACKENDS, backendEnv, tempDir, testConfig } from "../helpers.ts";

const LOGINS = 24;
const ROUNDS = 2;

function cli(env: Record<string, string>, ...args: string[]) {
  return Bun.spawn([...SOURCE_COMMAND, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
}

async function run(env: Record<string, string>, ...args: string[]): Promise<string> {
  const child = cli(env, ...args);
  const [code, out, err] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  expect([code, err]).toEqual([0, ""]);
  return out;
}

/** The stored sessions of a user, read through a fresh store. */
async function storedSessions(env: Record<string, string>, dir: string, userId: string): Promise<number> {
  const stores = openStores(testConfig(env, dir), true);
  try {
    return (await stores.sessions!.list(userId)).length;
  } finally {
    await stores.close({ compact: false });
  }
}

const cases = BACKENDS.flatMap((backend) => ["session_auth", "session_exp_auth", "session_db_auth"].map((authType) => ({ backend, authType })));

for (const { backend, authType } of cases) {
  describe.skipIf(!available(backend))(`[${backend}] ${authType}: logins racing another process`, () => {
    for (const change of ["passwd", "delete"] as const) {
      test(`users ${change} in the CLI ends every session, however the logins interleave`, async () => {
        const dir = tempDir();
        const env = { DATA_DIR: dir, AUTH_TYPE: authType, LOGIN_MAX_FAILURES_PER_ACCOUNT: "0", LOGIN_MAX_FAILURES_PER_CLIENT: "0", ...backendEnv(backend, dir) };
        const server = await spawnServer(SOURCE_COMMAND, env);
        try {
          for (let round = 0; round < ROUNDS; round++) {
            const email = `racer${round}@hbtn.io`;
            const userId = (await run(env, "users", "create", "--email", email, "--password", "old password")).trim();
            const login = () =>
              fetch(`${server.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email, password: "old password" }) }).then((response) => ({
                status: response.status,
                cookie: /_my_session_id=([^;]*)/.exec(response.headers.get("set-cookie") ?? "")?.[1],
              }));
            // Logins before, during and after the other process's change.
            const early = Array.from({ length: LOGINS / 2 }, login);
            await Bun.sleep(round * 40);
            const other = run(env, "users", change, "--id", userId, ...(change === "passwd" ? ["--password", "new password"] : []));
            const late = Array.from({ length: LOGINS / 2 }, login);
            await other;
            const answered = await Promise.all([...early, ...late]);
            const cookies = answered.flatMap((answer) => (answer.cookie ? [answer.cookie] : []));
            const statuses = await Promise.all(
              cookies.map((cookie) => fetch(`${server.base}/api/v1/users/me`, { headers: { Cookie: `_my_session_id=${cookie}` } }).then((response) => response.status)),
            );
            expect(statuses).toEqual(cookies.map(() => 403));
            if (authType === "session_db_auth") expect(await storedSessions(env, dir, userId)).toBe(0);
            if (change === "passwd") {
              const fresh = await fetch(`${server.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email, password: "new password" }) });
              expect(fresh.status).toBe(200);
              const me = await fetch(`${server.base}/api/v1/users/me`, { headers: { Cookie: (fresh.headers.get("set-cookie") ?? "").split(";")[0]! } });
              expect(me.status).toBe(200);
            }
          }
        } finally {
          server.process.kill("SIGTERM");
          await server.process.exited;
        }
      }, 60_000);
    }
  });
}
