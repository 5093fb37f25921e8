/** /api/v1/auth/verify for reverse proxies, COOKIE_DOMAIN, and the login page's return address. */
import { describe, expect, test } from "bun:test";
import { basicHeader, call, FakeClock, legacyUser, seedUsers, sessionIdFrom, tempDir, testApp } from "../helpers.ts";

const VERIFY = "/api/v1/auth/verify";

async function setUp(env: Record<string, string>, clock?: FakeClock) {
  const dir = tempDir();
  const bob = { ...legacyUser("bob@hbtn.io", "pw"), first_name: "Bob", last_name: "Dylan" };
  await seedUsers(dir, [bob]);
  return { bob, app: testApp(env, { dataDir: dir, clock }) };
}

describe("verify", () => {
  test("a live session: 200 with the user's id, email and name, nothing to cache; any method", async () => {
    const { bob, app } = await setUp({ AUTH_TYPE: "session_db_auth" });
    const session = sessionIdFrom((await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw" } })).headers);
    for (const method of ["GET", "POST", "HEAD", "DELETE"]) {
      const answer = await call(app, VERIFY, { method, headers: { Cookie: `_my_session_id=${session}` } });
      expect([method, answer.status]).toEqual([method, 200]);
      expect(answer.headers.get("remote-user")).toBe(bob.id);
      expect(answer.headers.get("remote-email")).toBe("bob@hbtn.io");
      expect(answer.headers.get("remote-name")).toBe("Bob Dylan");
      expect(answer.headers.get("cache-control")).toBe("no-store");
      expect(answer.text).toBe("");
    }
  });

  test("no cookie, an unknown or expired one, a deleted user: 401, never the guard's 403", async () => {
    const clock = new FakeClock();
    const { bob, app } = await setUp({ AUTH_TYPE: "session_exp_auth", SESSION_DURATION: "60" }, clock);
    const session = sessionIdFrom((await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw" } })).headers);
    expect((await call(app, VERIFY)).status).toBe(401);
    expect((await call(app, VERIFY, { headers: { Cookie: "_my_session_id=forged" } })).status).toBe(401);
    clock.advance(61);
    expect((await call(app, VERIFY, { headers: { Cookie: `_my_session_id=${session}` } })).status).toBe(401);
    clock.advance(-61);
    const again = sessionIdFrom((await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw" } })).headers);
    expect((await call(app, `/api/v1/users/${bob.id}`, { method: "DELETE", headers: { Cookie: `_my_session_id=${again}` } })).status).toBe(200);
    expect((await call(app, VERIFY, { headers: { Cookie: `_my_session_id=${again}` } })).status).toBe(401);
  });

  test("basic_auth: the Basic header names the user; a wrong password is 401, throttled ones too", async () => {
    const { bob, app } = await setUp({ AUTH_TYPE: "basic_auth", LOGIN_MAX_FAILURES_PER_ACCOUNT: "2" });
    const ok = await call(app, VERIFY, { headers: { Authorization: basicHeader("bob@hbtn.io", "pw") } });
    expect([ok.status, ok.headers.get("remote-user")]).toEqual([200, bob.id]);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(app, VERIFY, { headers: { Authorization: basicHeader("bob@hbtn.io", `wrong ${i}`) } })).status);
    expect(statuses).toEqual([401, 401, 401, 401]);
  });

  test("a browser navigation is sent to the login page with the original address; an API call gets 401", async () => {
    const { app } = await setUp({ AUTH_TYPE: "session_auth", FORWARD_AUTH_LOGIN_URL: "https://auth.example.test/" });
    const forwarded = { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.test", "X-Forwarded-Uri": "/page?x=1" };
    const navigation = await call(app, VERIFY, { headers: { ...forwarded, "Sec-Fetch-Mode": "navigate", Accept: "text/html" } });
    expect(navigation.status).toBe(302);
    expect(navigation.headers.get("location")).toBe(`https://auth.example.test/?rd=${encodeURIComponent("https://app.example.test/page?x=1")}`);
    expect((await call(app, VERIFY, { headers: { ...forwarded, Accept: "application/json" } })).status).toBe(401);
    const original = await call(app, `${VERIFY}?login=${encodeURIComponent("https://login.example.test/")}`, { headers: { "X-Original-URL": "https://app.example.test/x", Accept: "text/html" } });
    expect(original.headers.get("location")).toBe(`https://login.example.test/?rd=${encodeURIComponent("https://app.example.test/x")}`);
  });

  test("a store that cannot be reached is a 503, never a 200", async () => {
    const app = testApp({ AUTH_TYPE: "basic_auth", DATABASE_URL: "postgres://u@127.0.0.1:1/db", STORE_TIMEOUT_MS: "500" });
    expect((await call(app, VERIFY, { headers: { Authorization: basicHeader("bob@hbtn.io", "pw") } })).status).toBe(503);
    await app.close().catch(() => {});
  });
});

describe("COOKIE_DOMAIN and the return address", () => {
  test("the session cookie and the logout cookie carry the same Domain", async () => {
    const { app } = await setUp({ AUTH_TYPE: "session_auth", COOKIE_DOMAIN: "example.test" });
    const login = await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw" } });
    expect(login.headers.get("set-cookie")).toContain("; Domain=example.test");
    const out = await call(app, "/api/v1/auth_session/logout", { method: "DELETE", headers: { Cookie: `_my_session_id=${sessionIdFrom(login.headers)}` } });
    expect(out.headers.get("set-cookie")).toContain("; Domain=example.test");
    const hostOnly = await setUp({ AUTH_TYPE: "session_auth" });
    expect((await call(hostOnly.app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw" } })).headers.get("set-cookie")).not.toContain("Domain");
  });

  test("the page carries a return address only when it may be followed", async () => {
    const { app } = await setUp({ AUTH_TYPE: "session_auth", COOKIE_DOMAIN: "example.test" });
    const page = async (rd: string) => (await call(app, `/?rd=${encodeURIComponent(rd)}`, { headers: { Host: "auth.example.test" } })).text;
    expect(await page("https://app.example.test/x")).toContain('data-return="https://app.example.test/x"');
    expect(await page("https://evil.test/")).toContain('data-return=""');
    expect(await page('https://app.example.test/"><script>')).not.toContain("<script>\"");
  });
});
