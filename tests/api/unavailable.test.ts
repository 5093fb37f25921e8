/** An unreachable store is a JSON 503 and a log line; the server recovers when the store is back. */
import { expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { createLogger } from "../../src/logger.ts";
import { App } from "../../src/server.ts";
import { freePort } from "../../scripts/lib/spawn-server.ts";
import { basicHeader, call, legacyUser, tempDir, testConfig } from "../helpers.ts";

test("PostgreSQL unreachable: 503 JSON with Retry-After, and a log line without the URL's password", async () => {
  let log = "";
  const logger = createLogger("text", { out: (t) => void (log += t), err: (t) => void (log += t) });
  const port = freePort();
  const app = App.create(testConfig({ AUTH_TYPE: "basic_auth", DATABASE_URL: `postgres://u:s3cret@127.0.0.1:${port}/db` }), { logger });
  const response = await call(app, "/api/v1/users/me", { headers: { Authorization: "Basic YTpi" } });
  expect(response).toMatchObject({ status: 503, json: { error: "Service unavailable: the data store cannot be reached" } });
  expect(response.headers.get("retry-after")).toBe("5");
  expect((await call(app, "/api/v1/status")).status).toBe(200);
  logger.flush?.();
  expect(log).toContain("store unavailable");
  expect(log).not.toContain("s3cret");
  await app.close().catch(() => {});
}, 30_000);

const redisServer = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((path) => existsSync(path));

test.skipIf(!redisServer)("Redis going away and coming back: 503 meanwhile, then sessions work again", async () => {
  const port = freePort();
  const startRedis = () => Bun.spawn([redisServer!, "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"], { stdout: "ignore", stderr: "ignore" });
  const waitForRedis = async () => {
    for (let i = 0; i < 100; i++) {
      if (Bun.spawnSync(["redis-cli", "-p", String(port), "ping"]).stdout.toString().includes("PONG")) return;
      await Bun.sleep(50);
    }
    throw new Error("redis did not start");
  };
  let redis = startRedis();
  await waitForRedis();
  const dir = tempDir();
  const app = App.create(testConfig({ AUTH_TYPE: "session_db_auth", REDIS_URL: `redis://127.0.0.1:${port}` }, dir), { logger: createLogger("text", { out: () => {}, err: () => {} }) });
  try {
    await app.users.save(legacyUser("bob@hbtn.io", "pw"));
    const login = await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw" } });
    expect(login.status).toBe(200);
    const cookie = { headers: { cookie: login.headers.get("set-cookie")!.split(";")[0]! } };
    expect((await call(app, "/api/v1/users/me", cookie)).status).toBe(200);

    redis.kill("SIGKILL");
    await redis.exited;
    expect(await call(app, "/api/v1/users/me", cookie)).toMatchObject({ status: 503 });

    redis = startRedis();
    await waitForRedis();
    // The session lived in the Redis that was killed (no persistence): back means 403, not 503.
    expect((await call(app, "/api/v1/users/me", cookie)).status).toBe(403);
    const again = await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw" } });
    expect(again.status).toBe(200);
    expect((await call(app, "/api/v1/users/me", { headers: { cookie: again.headers.get("set-cookie")!.split(";")[0]! } })).status).toBe(200);
  } finally {
    await app.close().catch(() => {});
    redis.kill("SIGKILL");
    await redis.exited;
  }
}, 60_000);

const pgBin = (() => {
  try {
    return readdirSync("/usr/lib/postgresql").map((version) => `/usr/lib/postgresql/${version}/bin`).find((bin) => existsSync(`${bin}/pg_ctl`));
  } catch {
    return undefined;
  }
})();

test.skipIf(!pgBin)("PostgreSQL going away and coming back: 503 meanwhile, then served again without a restart", async () => {
  const dir = tempDir();
  const port = freePort();
  // PostgreSQL will not run as root; the Debian package made a postgres user for that.
  const asPg = (args: string[]) => (process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...args] : args);
  if (process.getuid?.() === 0) Bun.spawnSync(["chown", "postgres", dir]);
  const pgData = `${dir}/pg`;
  expect(Bun.spawnSync(asPg([`${pgBin}/initdb`, "-D", pgData, "-U", "t", "--auth=trust"]), { stdout: "ignore", stderr: "ignore" }).exitCode).toBe(0);
  const pgCtl = (action: string) =>
    Bun.spawnSync(asPg([`${pgBin}/pg_ctl`, "-D", pgData, "-l", `${dir}/pg.log`, "-w", "-m", "fast", "-o", `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`, action]), { stdout: "ignore", stderr: "ignore" }).exitCode;
  expect(pgCtl("start")).toBe(0);
  const app = App.create(testConfig({ AUTH_TYPE: "basic_auth", DATABASE_URL: `postgres://t@127.0.0.1:${port}/postgres` }, tempDir()), { logger: createLogger("text", { out: () => {}, err: () => {} }) });
  try {
    await app.users.save(legacyUser("bob@hbtn.io", "pw"));
    const me = () => call(app, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob@hbtn.io", "pw") } });
    expect((await me()).status).toBe(200);
    expect(pgCtl("stop")).toBe(0);
    expect((await me()).status).toBe(503);
    expect(pgCtl("start")).toBe(0);
    // Served again within moments of PostgreSQL's return, answering 503 (never 500) until then.
    const statuses: number[] = [];
    const back = performance.now();
    while (statuses.at(-1) !== 200 && performance.now() - back < 2000) {
      statuses.push((await me()).status);
      if (statuses.at(-1) !== 200) await Bun.sleep(50);
    }
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.slice(0, -1).every((status) => status === 503)).toBe(true);
  } finally {
    await app.close().catch(() => {});
    pgCtl("stop");
  }
}, 60_000);
