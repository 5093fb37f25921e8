/**
 * Metrics and health through the app and through real listeners: /metrics off by default, on
 * the public port with METRICS=1 or only on METRICS_LISTEN's address, never behind the guard;
 * requests counted by route pattern; /api/v1/health and `session-auth healthcheck`.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { runCli } from "../../src/cli.ts";
import { Health } from "../../src/app/health.ts";
import { silentLogger } from "../../src/logger.ts";
import { App } from "../../src/app/compose.ts";
import { type RunningServer, startServer } from "../../src/app/start.ts";
import { freePort } from "../../scripts/lib/spawn-server.ts";
import { captureIo } from "../cli/io.ts";
import { available, call, legacyUser, on, seedUsers, sessionIdFrom, tempDir, testConfig } from "../helpers.ts";

const LOGIN = "/api/v1/auth_session/login";
const BOB = "00000000-0000-4000-8000-000000000001";
const apps: App[] = [];
const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all([...apps.map((app) => app.close()), ...servers.map((s) => s.stop())]);
});

async function app(env: Record<string, string>, users = [legacyUser("bob@hbtn.io", "pw-secret", BOB)]) {
  const dir = tempDir();
  await seedUsers(dir, users);
  const made = App.create(testConfig(env, dir), { logger: silentLogger });
  apps.push(made);
  return made;
}

function promtool(text: string): number {
  return Bun.spawnSync(["promtool", "check", "metrics"], { stdin: new TextEncoder().encode(text) }).exitCode;
}

/** One sample's value from the text format, 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe("/metrics", () => {
  test("off by default: 404 without credentials, not 401", async () => {
    const a = await app({ AUTH_TYPE: "session_db_auth" });
    expect((await call(a, "/metrics")).status).toBe(404);
    expect(a.metrics).toBeNull();
  });

  test("METRICS=1: on the public port without credentials; logins by result, requests by route pattern", async () => {
    const a = await app({ AUTH_TYPE: "session_db_auth", METRICS: "1" });
    const ok = await call(a, LOGIN, { form: { email: "bob@hbtn.io", password: "pw-secret" } });
    expect(ok.status).toBe(200);
    const cookie = `_my_session_id=${sessionIdFrom(ok.headers)}`;
    expect((await call(a, LOGIN, { form: { email: "bob@hbtn.io", password: "nope" } })).status).toBe(401);
    expect((await call(a, LOGIN, { form: { email: "who@hbtn.io", password: "nope" } })).status).toBe(404);
    expect((await call(a, `/api/v1/users/${BOB}`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await call(a, "/api/v1/users/secret-looking-id", { headers: { Cookie: cookie } })).status).toBe(404);
    expect((await call(a, `/api/v1/users/${BOB}`)).status).toBe(401);
    expect((await call(a, "/no/such/path/12345")).status).toBe(401);
    expect((await call(a, "/api/v1/auth/verify", { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await call(a, "/api/v1/auth/verify")).status).toBe(401);
    expect((await call(a, "/api/v1/auth_session/logout", { method: "DELETE", headers: { Cookie: cookie } })).status).toBe(200);
    const response = await call(a, "/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = response.text;
    expect(promtool(text)).toBe(0);
    expect(sample(text, 'session_auth_logins_total{result="ok"}')).toBe(1);
    expect(sample(text, 'session_auth_logins_total{result="wrong_password"}')).toBe(1);
    expect(sample(text, 'session_auth_logins_total{result="unknown_email"}')).toBe(1);
    expect(sample(text, 'session_auth_http_requests_total{method="GET",route="/api/v1/users/:id",status="200"}')).toBe(1);
    expect(sample(text, 'session_auth_http_requests_total{method="GET",route="/api/v1/users/:id",status="404"}')).toBe(1);
    expect(sample(text, 'session_auth_http_requests_total{method="GET",route="/api/v1/users/:id",status="401"}')).toBe(1);
    expect(sample(text, 'session_auth_http_requests_total{method="GET",route="unmatched",status="401"}')).toBe(1);
    expect(text).not.toContain("secret-looking-id");
    expect(text).not.toContain("12345");
    expect(sample(text, 'session_auth_verify_total{result="allowed"}')).toBe(1);
    expect(sample(text, 'session_auth_verify_total{result="401"}')).toBe(1);
    expect(sample(text, "session_auth_sessions_created_total")).toBe(1);
    expect(sample(text, 'session_auth_sessions_ended_total{reason="logout"}')).toBe(1);
    expect(sample(text, "session_auth_sessions")).toBe(0);
    expect(sample(text, 'session_auth_build_info{version="0.1.0",auth_type="session_db_auth"}')).toBe(1);
    expect(sample(text, 'session_auth_http_request_duration_seconds_count{method="POST",route="/api/v1/auth_session/login"}')).toBe(3);
  });

  test("throttle refusals by counter, and the throttled login result", async () => {
    const a = await app({ AUTH_TYPE: "session_auth", METRICS: "1", LOGIN_MAX_FAILURES_PER_ACCOUNT: "2" });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(a, LOGIN, { form: { email: "bob@hbtn.io", password: `wrong-${i}` } })).status);
    expect(statuses).toEqual([401, 401, 429, 429]);
    const text = (await call(a, "/metrics")).text;
    expect(sample(text, 'session_auth_throttle_refusals_total{counter="account"}')).toBe(2);
    expect(sample(text, 'session_auth_logins_total{result="throttled"}')).toBe(2);
    expect(sample(text, 'session_auth_logins_total{result="wrong_password"}')).toBe(2);
  });

  test("METRICS_LISTEN: only on its own address, not on the public port", async () => {
    const dir = tempDir();
    const port = freePort();
    const running = startServer(testConfig({ AUTH_TYPE: "basic_auth", METRICS_LISTEN: `127.0.0.1:${port}` }, dir), { logger: silentLogger });
    servers.push(running);
    expect((await fetch(`${running.url}/metrics`)).status).toBe(404);
    const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    expect(promtool(text)).toBe(0);
    expect(sample(text, 'session_auth_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/status`)).status).toBe(404);
  });
});

describe("/api/v1/health", () => {
  test("200 without credentials when the data folder is writable; 503 naming it when it is gone", async () => {
    const dir = tempDir();
    const a = App.create(testConfig({ AUTH_TYPE: "session_db_auth" }, dir), { logger: silentLogger });
    apps.push(a);
    const ok = await call(a, "/api/v1/health");
    expect([ok.status, ok.json]).toEqual([200, { checks: { data_dir: "ok" }, status: "ok" }]);
    expect(ok.headers.get("cache-control")).toBe("no-store");
    rmSync(dir, { recursive: true, force: true });
    await Bun.sleep(1100);
    const gone = await call(a, "/api/v1/health");
    expect([gone.status, gone.json]).toEqual([503, { checks: { data_dir: "missing" }, status: "unavailable" }]);
  });

  test("PostgreSQL unreachable: 503 naming it, without the URL or its password", async () => {
    const a = App.create(testConfig({ AUTH_TYPE: "basic_auth", DATABASE_URL: `postgres://u:s3cret@127.0.0.1:${freePort()}/db` }), { logger: silentLogger });
    const response = await call(a, "/api/v1/health");
    expect([response.status, response.json]).toEqual([503, { checks: { postgresql: "unreachable" }, status: "unavailable" }]);
    expect(response.text).not.toContain("s3cret");
    expect(response.text).not.toContain("127.0.0.1");
    await a.close().catch(() => {});
  });

  describe.skipIf(!available("postgres+redis"))("[postgres+redis]", () => {
    const backend = on("postgres+redis");
    afterAll(backend.closeApps);
    test("200 with both backends answering, and nothing but them checked (no data folder)", async () => {
      const a = backend.testApp({ AUTH_TYPE: "session_db_auth" });
      const response = await call(a, "/api/v1/health");
      expect([response.status, response.json]).toEqual([200, { checks: { postgresql: "ok", redis: "ok" }, status: "ok" }]);
    });

    test("the stored-sessions gauge on Redis follows logins and logouts from its start-up count", async () => {
      const dir = tempDir();
      await backend.seedUsers(dir, [legacyUser("bob@hbtn.io", "pw-secret", BOB)]);
      const a = backend.testApp({ AUTH_TYPE: "session_db_auth", METRICS: "1" }, { dataDir: dir });
      await Bun.sleep(200); // the count asked at start-up
      const cookies: string[] = [];
      for (let i = 0; i < 3; i++) cookies.push(sessionIdFrom((await call(a, LOGIN, { form: { email: "bob@hbtn.io", password: "pw-secret" } })).headers));
      await call(a, "/api/v1/auth_session/logout", { method: "DELETE", headers: { Cookie: `_my_session_id=${cookies[0]}` } });
      expect(sample((await call(a, "/metrics")).text, "session_auth_sessions")).toBe(2);
    });
  });

  test("at most one run of the checks per second, however many requests; concurrent ones share it", async () => {
    let runs = 0;
    let now = 0;
    const health = new Health(new Map([["backend", async () => (runs++, await Bun.sleep(5), null)]]), 1000, () => now);
    const reports = await Promise.all(Array.from({ length: 100 }, () => health.report()));
    expect(runs).toBe(1);
    expect(reports.every((r) => r.status === "ok")).toBe(true);
    now = 999;
    await health.report();
    expect(runs).toBe(1);
    now = 1000;
    await health.report();
    expect(runs).toBe(2);
  });

  test("a check that takes longer than its time limit fails with that reason", async () => {
    const health = new Health(new Map([["redis", () => new Promise<null>(() => {})]]), 50);
    expect(await health.report()).toEqual({ status: "unavailable", checks: { redis: "no answer within 50 ms" } });
  });
});

describe("session-auth healthcheck", () => {
  test("exit 0 against a healthy server, 1 against none; API_HOST 0.0.0.0 is asked on 127.0.0.1", async () => {
    const running = startServer(testConfig({}, tempDir()), { logger: silentLogger });
    servers.push(running);
    const port = String(running.server.port);
    const good = captureIo();
    expect(await runCli(["healthcheck"], { API_HOST: "0.0.0.0", API_PORT: port }, good.io)).toBe(0);
    expect(good.captured.out).toBe(`healthy (http://127.0.0.1:${port}/api/v1/health: 200; data_dir: ok)\n`);
    const bad = captureIo();
    expect(await runCli(["healthcheck", "--timeout", "2"], { API_HOST: "127.0.0.1", API_PORT: String(freePort()) }, bad.io)).toBe(1);
    expect(bad.captured.err).toStartWith("unhealthy (http://127.0.0.1:");
    const usage = captureIo();
    expect(await runCli(["healthcheck", "--wat"], {}, usage.io)).toBe(2);
  });
});
