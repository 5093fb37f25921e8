/**
 * A real Prometheus (Debian's `prometheus`) on 127.0.0.1 scrapes a running server's
 * METRICS_LISTEN address every second; its HTTP API then reports the logins the test made.
 */
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningServer, startServer } from "../../src/app/start.ts";
import { silentLogger } from "../../src/logger.ts";
import { freePort } from "../../scripts/lib/spawn-server.ts";
import { legacyUser, seedUsers, tempDir, testConfig } from "../helpers.ts";

const PROMETHEUS = Bun.which("prometheus");
let server: RunningServer | null = null;
let prometheus: ReturnType<typeof Bun.spawn> | null = null;
afterAll(async () => {
  prometheus?.kill("SIGTERM");
  await prometheus?.exited;
  await server?.stop();
});

/** One instant query's value, or null while Prometheus has none. */
async function query(base: string, expression: string): Promise<number | null> {
  try {
    const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expression)}`);
    const body = (await response.json()) as { status: string; data: { result: { value: [number, string] }[] } };
    const first = body.data.result[0];
    return body.status === "success" && first ? Number(first.value[1]) : null;
  } catch {
    return null;
  }
}

test.skipIf(PROMETHEUS === null)("Prometheus scrapes /metrics and reports the logins made", async () => {
  const dir = tempDir();
  await seedUsers(dir, [legacyUser("bob@hbtn.io", "pw-secret")]);
  const metricsPort = freePort();
  server = startServer(testConfig({ AUTH_TYPE: "session_db_auth", METRICS_LISTEN: `127.0.0.1:${metricsPort}` }, dir), { logger: silentLogger });
  const logins = { ok: 3, wrong_password: 2 };
  const login = (password: string) => fetch(`${server!.url}/api/v1/auth_session/login`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ email: "bob@hbtn.io", password }) });
  for (let i = 0; i < logins.ok; i++) expect((await login("pw-secret")).status).toBe(200);
  for (let i = 0; i < logins.wrong_password; i++) expect((await login("wrong")).status).toBe(401);

  const config = join(dir, "prometheus.yml");
  writeFileSync(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: session-auth\n    static_configs:\n      - targets: ["127.0.0.1:${metricsPort}"]\n`);
  const webPort = freePort();
  prometheus = Bun.spawn([PROMETHEUS!, `--config.file=${config}`, `--storage.tsdb.path=${join(dir, "tsdb")}`, `--web.listen-address=127.0.0.1:${webPort}`], { stdout: "ignore", stderr: "ignore" });
  const base = `http://127.0.0.1:${webPort}`;
  let ok: number | null = null;
  let wrong: number | null = null;
  let up: number | null = null;
  const deadline = Date.now() + 45_000;
  while ((ok !== logins.ok || wrong !== logins.wrong_password) && Date.now() < deadline) {
    await Bun.sleep(500);
    ok = await query(base, 'session_auth_logins_total{result="ok"}');
    wrong = await query(base, 'session_auth_logins_total{result="wrong_password"}');
    up = await query(base, 'up{job="session-auth"}');
  }
  expect({ ok, wrong, up }).toEqual({ ok: logins.ok, wrong: logins.wrong_password, up: 1 });
  expect(await query(base, 'sum(session_auth_http_requests_total{route="/api/v1/auth_session/login"})')).toBe(logins.ok + logins.wrong_password);
  expect(await query(base, "session_auth_sessions")).toBe(logins.ok);
}, 90_000);
