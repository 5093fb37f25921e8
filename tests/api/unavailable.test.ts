/** An unreachable store is a JSON 503 and a log line; the server recovers when the store is back. */
import { expect, test } from "bun:test";
import { createLogger } from "../../src/logger.ts";
import { App } from "../../src/app/compose.ts";
import { freePort } from "../../scripts/lib/spawn-server.ts";
import { pgBin, redisServer, spawnPostgres, spawnRedis } from "../fixtures/backends.ts";
import { basicHeader, call, legacyUser, tempDir, testConfig } from "../helpers.ts";

/** The statuses a request gets, asked every 50 ms while it answers 503, for at most `ms`. */
async function statusesWhile503(request: () => Promise<number>, ms: number): Promise<number[]> {
  const statuses: number[] = [];
  const started = performance.now();
  do {
    if (statuses.length > 0) await Bun.sleep(50);
    statuses.push(await request());
  } while (statuses.at(-1) === 503 && performance.now() - started < ms);
  return statuses;
}

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

test.skipIf(!redisServer)("Redis going away and coming back: 503 meanwhile, then sessions work again", async () => {
  const redis = await spawnRedis();
  const dir = tempDir();
  const app = App.create(testConfig({ AUTH_TYPE: "session_db_auth", REDIS_URL: redis.url }, dir), { logger: createLogger("text", { out: () => {}, err: () => {} }) });
  try {
    await app.users.save(legacyUser("bob@hbtn.io", "pw-secret"));
    const login = await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" } });
    expect(login.status).toBe(200);
    const cookie = { headers: { cookie: login.headers.get("set-cookie")!.split(";")[0]! } };
    expect((await call(app, "/api/v1/users/me", cookie)).status).toBe(200);

    await redis.kill();
    expect(await call(app, "/api/v1/users/me", cookie)).toMatchObject({ status: 503 });

    await redis.start();
    // The session lived in the Redis that was killed (no persistence): back means 403, not 503,
    // once the pause after the failure (at most a second) has passed.
    expect((await statusesWhile503(async () => (await call(app, "/api/v1/users/me", cookie)).status, 2000)).at(-1)).toBe(403);
    const again = await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" } });
    expect(again.status).toBe(200);
    expect((await call(app, "/api/v1/users/me", { headers: { cookie: again.headers.get("set-cookie")!.split(";")[0]! } })).status).toBe(200);
  } finally {
    await app.close().catch(() => {});
    await redis.kill();
  }
}, 60_000);

test.skipIf(!pgBin)("PostgreSQL going away and coming back: 503 meanwhile, then served again without a restart", async () => {
  const pg = spawnPostgres();
  const app = App.create(testConfig({ AUTH_TYPE: "basic_auth", DATABASE_URL: pg.url }, tempDir()), { logger: createLogger("text", { out: () => {}, err: () => {} }) });
  try {
    await app.users.save(legacyUser("bob@hbtn.io", "pw-secret"));
    const me = () => call(app, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob@hbtn.io", "pw-secret") } });
    expect((await me()).status).toBe(200);
    expect(pg.ctl("stop")).toBe(0);
    expect((await me()).status).toBe(503);
    expect(pg.ctl("start")).toBe(0);
    // Served again within moments of PostgreSQL's return, answering 503 (never 500) until then.
    const statuses = await statusesWhile503(async () => (await me()).status, 2000);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.slice(0, -1).every((status) => status === 503)).toBe(true);
  } finally {
    await app.close().catch(() => {});
    pg.ctl("stop");
  }
}, 60_000);

/** An app on a backend, a log captured line by line, and the time a request takes. */
function loggedApp(env: Record<string, string>) {
  const lines: string[] = [];
  const logger = createLogger("text", { out: (t) => void lines.push(...t.trimEnd().split("\n")), err: (t) => void lines.push(...t.trimEnd().split("\n")) });
  const app = App.create(testConfig({ STORE_TIMEOUT_MS: "500", ...env }, tempDir()), { logger });
  const timed = async (path: string, headers: Record<string, string>) => {
    const started = performance.now();
    const response = await call(app, path, { headers });
    return { ...response, ms: performance.now() - started };
  };
  return { app, lines, logger, timed };
}

test.skipIf(!redisServer)("Redis that hangs (SIGSTOP): 503 with Retry-After within the time limit, logged as 503; served again after SIGCONT", async () => {
  const redis = await spawnRedis();
  const { app, lines, logger, timed } = loggedApp({ AUTH_TYPE: "session_db_auth", REDIS_URL: redis.url });
  try {
    await app.users.save(legacyUser("bob@hbtn.io", "pw-secret"));
    const login = await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" } });
    const cookie = { cookie: login.headers.get("set-cookie")!.split(";")[0]! };
    redis.signal("SIGSTOP");
    const hung = await timed("/api/v1/users/me", cookie);
    expect(hung).toMatchObject({ status: 503, json: { error: "Service unavailable: the data store cannot be reached" } });
    expect(hung.headers.get("retry-after")).toBe("5");
    expect(hung.ms).toBeLessThan(2000);
    // Meanwhile requests fail at once, and the log holds a line or two, not one per request.
    const during = await Promise.all(Array.from({ length: 100 }, () => timed("/api/v1/users/me", cookie)));
    expect(during.every((response) => response.status === 503)).toBe(true);
    logger.flush?.();
    expect(lines.filter((line) => line.includes("store unavailable")).length).toBeLessThanOrEqual(2);
    expect(lines.filter((line) => / GET \/api\/v1\/users\/me 503 /.test(line))).toHaveLength(101);
    redis.signal("SIGCONT");
    expect((await statusesWhile503(async () => (await timed("/api/v1/users/me", cookie)).status, 3000)).at(-1)).toBe(200);
  } finally {
    await app.close().catch(() => {});
    await redis.kill();
  }
}, 60_000);

test.skipIf(!redisServer)("Redis out of memory: a login that cannot store its session is a 503, not a 500", async () => {
  const redis = await spawnRedis(["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"]);
  const { app, timed } = loggedApp({ AUTH_TYPE: "session_db_auth", REDIS_URL: redis.url });
  try {
    await app.users.save(legacyUser("bob@hbtn.io", "pw-secret"));
    const filler = "x".repeat(64 * 1024);
    for (let i = 0; i < 200; i++) {
      if (Bun.spawnSync(["redis-cli", "-p", String(redis.port), "set", `filler:${i}`, filler]).stdout.toString().includes("OOM")) break;
    }
    const login = await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" } });
    expect(login.status).toBe(503);
    expect((await timed("/api/v1/status", {})).status).toBe(200);
  } finally {
    await app.close().catch(() => {});
    await redis.kill();
  }
}, 60_000);

test.skipIf(!pgBin)("PostgreSQL that hangs (SIGSTOP): 503 within the time limit; served again after SIGCONT", async () => {
  const pg = spawnPostgres();
  const { app, timed } = loggedApp({ AUTH_TYPE: "basic_auth", DATABASE_URL: pg.url });
  const auth = { Authorization: basicHeader("bob@hbtn.io", "pw-secret") };
  try {
    await app.users.save(legacyUser("bob@hbtn.io", "pw-secret"));
    expect((await timed("/api/v1/users/me", auth)).status).toBe(200);
    pg.signal("SIGSTOP");
    const hung = await timed("/api/v1/users/me", auth);
    expect(hung.status).toBe(503);
    expect(hung.ms).toBeLessThan(2000);
    expect((await timed("/api/v1/users", auth)).status).toBe(503);
    pg.signal("SIGCONT");
    expect((await statusesWhile503(async () => (await timed("/api/v1/users/me", auth)).status, 5000)).at(-1)).toBe(200);
  } finally {
    pg.signal("SIGCONT");
    await app.close().catch(() => {});
    pg.ctl("stop");
  }
}, 60_000);
