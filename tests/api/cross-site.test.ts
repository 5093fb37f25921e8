/** Login CSRF and cross-site writes with the session cookie are refused; curl and scripts work as before. */
import { expect, test } from "bun:test";
import { basicHeader, call, legacyUser, seedUsers, sessionIdFrom, tempDir, testApp } from "../helpers.ts";

const LOGIN = "/api/v1/auth_session/login";
const HOST = { Host: "127.0.0.1:5000" };

async function setUp(env: Record<string, string> = {}) {
  const dir = tempDir();
  const bob = legacyUser("bob@hbtn.io", "pw");
  await seedUsers(dir, [bob, legacyUser("ann@hbtn.io", "pw")]);
  return { bob, app: testApp({ AUTH_TYPE: "session_auth", ...env }, { dataDir: dir }) };
}
const form = { email: "bob@hbtn.io", password: "pw" };

test("a login posted from a page of another site is refused, and no cookie is set", async () => {
  const { app } = await setUp();
  const refusals: Record<string, string>[] = [{ "Sec-Fetch-Site": "cross-site", Origin: "http://evil.test" }, { Origin: "http://evil.test" }, { Origin: "null" }];
  for (const headers of refusals) {
    const refused = await call(app, LOGIN, { form, headers: { ...HOST, ...headers } });
    expect([JSON.stringify(headers), refused.status, refused.json]).toEqual([JSON.stringify(headers), 403, { error: "Forbidden" }]);
    expect(refused.headers.get("set-cookie")).toBeNull();
  }
});

test("the server's own page, an allowed origin and clients that send neither header log in", async () => {
  const { app } = await setUp({ ALLOWED_ORIGINS: "https://app.example.test" });
  const accepted: Record<string, string>[] = [{ "Sec-Fetch-Site": "same-origin", Origin: "http://127.0.0.1:5000" }, { Origin: "http://127.0.0.1:5000" }, { Origin: "https://app.example.test" }, {}];
  for (const headers of accepted) expect([JSON.stringify(headers), (await call(app, LOGIN, { form, headers: { ...HOST, ...headers } })).status]).toEqual([JSON.stringify(headers), 200]);
});

test("a cross-site request that would change something with the session cookie is refused; reading is not", async () => {
  const { app } = await setUp();
  const session = sessionIdFrom((await call(app, LOGIN, { form })).headers);
  const ann = (await call(app, "/api/v1/users", { headers: { Cookie: `_my_session_id=${session}` } })).json.find((u: { email: string }) => u.email === "ann@hbtn.io");
  const cross = { ...HOST, Cookie: `_my_session_id=${session}`, "Sec-Fetch-Site": "cross-site" };
  expect((await call(app, `/api/v1/users/${ann.id}`, { method: "DELETE", headers: cross })).status).toBe(403);
  expect((await call(app, "/api/v1/users/me", { headers: cross })).status).toBe(200);
  expect((await call(app, `/api/v1/users/${ann.id}`, { method: "DELETE", headers: { ...cross, "Sec-Fetch-Site": "same-origin" } })).status).toBe(200);
});

test("Basic credentials ride on no cookie: a cross-origin call with them is not refused", async () => {
  const dir = tempDir();
  await seedUsers(dir, [legacyUser("bob@hbtn.io", "pw")]);
  const app = testApp({ AUTH_TYPE: "basic_auth" }, { dataDir: dir });
  const created = await call(app, "/api/v1/users", { json: { email: "new@hbtn.io", password: "pw" }, headers: { ...HOST, Authorization: basicHeader("bob@hbtn.io", "pw"), "Sec-Fetch-Site": "cross-site", Origin: "http://evil.test" } });
  expect(created.status).toBe(201);
});
