/** Login CSRF and cross-site writes with the session cookie are refused; curl and scripts work as before. */
import { expect, test } from "bun:test";
import { createLogger } from "../../src/logger.ts";
import { startServer } from "../../src/app/start.ts";
import { basicHeader, call, legacyUser, seedUsers, sessionIdFrom, tempDir, testApp, testConfig } from "../helpers.ts";

const LOGIN = "/api/v1/auth_session/login";
const HOST = { Host: "127.0.0.1:5000" };

async function setUp(env: Record<string, string> = {}) {
  const dir = tempDir();
  const bob = legacyUser("bob@hbtn.io", "pw-secret");
  await seedUsers(dir, [bob, legacyUser("ann@hbtn.io", "pw-secret")]);
  return { bob, app: testApp({ AUTH_TYPE: "session_auth", ...env }, { dataDir: dir }) };
}
const form = { email: "bob@hbtn.io", password: "pw-secret" };

const REFUSED = { error: "Forbidden: the page's origin is not this server's and not in ALLOWED_ORIGINS (behind a proxy, pass the browser's Host on: nginx proxy_set_header Host $http_host)" };

test("a login posted from another origin is refused whatever Sec-Fetch-Site says, and no cookie is set", async () => {
  const { app } = await setUp();
  const refusals: Record<string, string>[] = [
    { "Sec-Fetch-Site": "cross-site", Origin: "http://evil.test" },
    { Origin: "http://evil.test" },
    { Origin: "null" },
    { "Sec-Fetch-Site": "same-site", Origin: "http://127.0.0.1:18095" },
    { "Sec-Fetch-Site": "same-site", Origin: "http://sub.127.0.0.1:5000" },
    { "Sec-Fetch-Site": "same-site" },
  ];
  for (const headers of refusals) {
    const refused = await call(app, LOGIN, { form, headers: { ...HOST, ...headers } });
    expect([JSON.stringify(headers), refused.status, refused.json]).toEqual([JSON.stringify(headers), 403, REFUSED]);
    expect(refused.headers.get("set-cookie")).toBeNull();
  }
});

test("the server's own page, an allowed origin (on another site too) and clients that send neither header log in", async () => {
  const { app } = await setUp({ ALLOWED_ORIGINS: "https://app.example.test,http://127.0.0.1:18095" });
  const accepted: Record<string, string>[] = [
    { "Sec-Fetch-Site": "same-origin", Origin: "http://127.0.0.1:5000" },
    { "Sec-Fetch-Site": "same-origin" },
    { Origin: "http://127.0.0.1:5000" },
    { Origin: "https://app.example.test" },
    { "Sec-Fetch-Site": "cross-site", Origin: "https://app.example.test" },
    { "Sec-Fetch-Site": "same-site", Origin: "http://127.0.0.1:18095" },
    {},
  ];
  for (const headers of accepted) expect([JSON.stringify(headers), (await call(app, LOGIN, { form, headers: { ...HOST, ...headers } })).status]).toEqual([JSON.stringify(headers), 200]);
});

test("through a real socket: a login from another port of this host is refused, logged with its reason, and accepted once allowed", async () => {
  const dir = tempDir();
  await seedUsers(dir, [legacyUser("bob@hbtn.io", "pw-secret")]);
  for (const allowed of [false, true]) {
    let log = "";
    const logger = createLogger("text", { out: (text) => void (log += text), err: (text) => void (log += text) });
    const running = startServer(testConfig({ AUTH_TYPE: "session_auth", ...(allowed ? { ALLOWED_ORIGINS: "http://127.0.0.1:18095" } : {}) }, dir), { logger });
    try {
      const headers = { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors", Origin: "http://127.0.0.1:18095" };
      const answer = await fetch(`${running.url}${LOGIN}`, { method: "POST", body: new URLSearchParams(form), headers });
      if (allowed) {
        expect(answer.status).toBe(200);
      } else {
        expect([answer.status, await answer.json(), answer.headers.get("set-cookie")]).toEqual([403, REFUSED, null]);
      }
    } finally {
      await running.stop();
    }
    const refusal = `cross-site login refused: Origin "http://127.0.0.1:18095" is not this server's origin ("${running.url}", by the Host header) and not in ALLOWED_ORIGINS`;
    expect(log.includes(refusal)).toBe(!allowed);
    expect(log).not.toContain("password=");
  }
});

test("a cross-site request that would change something with the session cookie is refused; reading is not", async () => {
  const { app } = await setUp();
  const session = sessionIdFrom((await call(app, LOGIN, { form })).headers);
  const ann = (await call(app, "/api/v1/users", { headers: { Cookie: `_my_session_id=${session}` } })).json.find((u: { email: string }) => u.email === "ann@hbtn.io");
  const cross = { ...HOST, Cookie: `_my_session_id=${session}`, "Sec-Fetch-Site": "cross-site" };
  expect((await call(app, `/api/v1/users/${ann.id}`, { method: "DELETE", headers: cross })).status).toBe(403);
  expect((await call(app, `/api/v1/users/${ann.id}`, { method: "DELETE", headers: { ...cross, "Sec-Fetch-Site": "same-site", Origin: "http://127.0.0.1:18095" } })).status).toBe(403);
  expect((await call(app, "/api/v1/users/me", { headers: cross })).status).toBe(200);
  expect((await call(app, `/api/v1/users/${ann.id}`, { method: "DELETE", headers: { ...cross, "Sec-Fetch-Site": "same-origin" } })).status).toBe(200);
});

test("Basic credentials ride on no cookie: a cross-origin call with them is not refused", async () => {
  const dir = tempDir();
  await seedUsers(dir, [legacyUser("bob@hbtn.io", "pw-secret")]);
  const app = testApp({ AUTH_TYPE: "basic_auth" }, { dataDir: dir });
  const created = await call(app, "/api/v1/users", { json: { email: "new@hbtn.io", password: "pw-secret" }, headers: { ...HOST, Authorization: basicHeader("bob@hbtn.io", "pw-secret"), "Sec-Fetch-Site": "cross-site", Origin: "http://evil.test" } });
  expect(created.status).toBe(201);
});
