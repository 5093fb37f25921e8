/**
 * Forward authentication end to end: real nginx (auth_request) and Caddy (forward_auth), run on
 * 127.0.0.1 with the configurations of examples/, in front of a small app that echoes the
 * identity headers it receives, with session-auth behind both.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chromium } from "playwright-core";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CADDY, fillExample, NGINX, startProxy, stopSetup, waitForPort } from "../../scripts/lib/proxies.ts";
import { freePort, SOURCE_COMMAND, type ServerProcess, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { basicHeader, legacyUser, seedUsers, tempDir } from "../helpers.ts";

/** The app behind the proxy: it answers with what it was told about the user. */
function startApp() {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) =>
      Response.json({ path: new URL(request.url).pathname, user: request.headers.get("remote-user"), email: request.headers.get("remote-email"), name: request.headers.get("remote-name") }),
  });
}

interface Setup {
  dir: string;
  bobId: string;
  app: string;
  auth: string;
  stop(): Promise<void>;
}

/** session-auth, the echo app and a proxy in front of both; `hosts`: the names the browser uses. */
async function behind(proxy: "nginx" | "caddy", authType: string, hosts = { app: "127.0.0.1", auth: "127.0.0.1" }, env: Record<string, string> = {}): Promise<Setup> {
  const dir = tempDir();
  const bob = { ...legacyUser("bob@hbtn.io", "pw-secret"), first_name: "Bob" };
  await seedUsers(dir, [bob]);
  const server: ServerProcess = await spawnServer(SOURCE_COMMAND, { DATA_DIR: dir, AUTH_TYPE: authType, TRUST_PROXY: "1", ...env });
  const echo = startApp();
  const [appPort, authPort] = [freePort(), freePort()];
  const login = `http://${hosts.auth}:${authPort}/`;
  const values = {
    DIR: dir,
    APP_PORT: String(appPort),
    AUTH_PORT: String(authPort),
    APP_HOST: "127.0.0.1",
    AUTH_HOST: "127.0.0.1",
    SESSION_AUTH: server.base.replace("http://", ""),
    APP: `127.0.0.1:${echo.port}`,
    LOGIN: login,
    LOGIN_ENCODED: encodeURIComponent(login),
  };
  const child = startProxy(proxy, dir, fillExample(proxy === "nginx" ? "nginx.conf" : "Caddyfile", values));
  await Promise.all([waitForPort(appPort), waitForPort(authPort)]);
  return {
    dir,
    bobId: bob.id,
    app: `http://${hosts.app}:${appPort}`,
    auth: `http://${hosts.auth}:${authPort}`,
    stop: () => stopSetup(child, echo, server),
  };
}

const BROWSER = { Accept: "text/html,application/xhtml+xml", "Sec-Fetch-Mode": "navigate" };

async function logIn(auth: string): Promise<string> {
  const response = await fetch(`${auth}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: "bob@hbtn.io", password: "pw-secret" }), redirect: "manual" });
  expect(response.status).toBe(200);
  return (response.headers.get("set-cookie") ?? "").split(";")[0]!;
}

for (const proxy of ["nginx", "caddy"] as const) {
  const binary = proxy === "nginx" ? NGINX : CADDY;
  describe.skipIf(!binary)(`through ${proxy}`, () => {
    let setup: Setup;
    beforeAll(async () => {
      setup = await behind(proxy, "session_db_auth");
    }, 30_000);
    afterAll(async () => {
      await setup?.stop();
    });

    test("no cookie or a forged one: sent to the login page with the address asked for", async () => {
      for (const cookie of [undefined, "_my_session_id=forged"]) {
        const response = await fetch(`${setup.app}/page?x=1&y=2`, { headers: { ...BROWSER, ...(cookie ? { Cookie: cookie } : {}) }, redirect: "manual" });
        expect(response.status).toBe(302);
        const location = new URL(response.headers.get("location")!);
        expect(`${location.origin}${location.pathname}`).toBe(`${setup.auth}/`);
        expect(location.href).toContain(`rd=`);
        expect(decodeURIComponent(location.search)).toContain(`${setup.app}/page?x=1&y=2`);
      }
    });

    test("signed in: the app answers and sees the user; a client's own Remote-User never gets through", async () => {
      const cookie = await logIn(setup.auth);
      const response = await fetch(`${setup.app}/page`, { headers: { ...BROWSER, Cookie: cookie, "Remote-User": "someone-else", "Remote-Email": "evil@evil.test" }, redirect: "manual" });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ path: "/page", user: setup.bobId, email: "bob@hbtn.io", name: "Bob" });
      // The login page sends someone already signed in on to the address asked for.
      const page = await (await fetch(`${setup.auth}/?rd=${setup.app}/page?x=1&y=2`, { headers: { Cookie: cookie } })).text();
      expect(page).toContain(`data-return="${setup.app}/page?x=1&#38;y=2"`);
    });

    test("after logout, sent to the login page again", async () => {
      const cookie = await logIn(setup.auth);
      expect((await fetch(`${setup.auth}/api/v1/auth_session/logout`, { method: "DELETE", headers: { Cookie: cookie } })).status).toBe(200);
      expect((await fetch(`${setup.app}/page`, { headers: { ...BROWSER, Cookie: cookie }, redirect: "manual" })).status).toBe(302);
    });

    test("a user deleted with the CLI is sent to the login page at the next request", async () => {
      const cookie = await logIn(setup.auth);
      expect((await fetch(`${setup.app}/page`, { headers: { ...BROWSER, Cookie: cookie }, redirect: "manual" })).status).toBe(200);
      const deleted = Bun.spawnSync([...SOURCE_COMMAND, "users", "delete", "--id", setup.bobId], { env: { PATH: process.env.PATH ?? "", DATA_DIR: setup.dir } });
      expect(deleted.exitCode).toBe(0);
      let status = 200;
      for (let i = 0; i < 120 && status === 200; i++) {
        status = (await fetch(`${setup.app}/page`, { headers: { ...BROWSER, Cookie: cookie }, redirect: "manual" })).status;
        if (status === 200) await Bun.sleep(50);
      }
      expect(status).toBe(302);
    });
  });

  describe.skipIf(!binary)(`basic_auth through ${proxy}`, () => {
    test("-u email:password: the app sees that user; a wrong password does not get through", async () => {
      const setup = await behind(proxy, "basic_auth");
      try {
        const ok = await fetch(`${setup.app}/x`, { headers: { Authorization: basicHeader("bob@hbtn.io", "pw-secret") }, redirect: "manual" });
        expect(ok.status).toBe(200);
        expect(((await ok.json()) as { user: string }).user).toBe(setup.bobId);
        const wrong = await fetch(`${setup.app}/x`, { headers: { Authorization: basicHeader("bob@hbtn.io", "nope") }, redirect: "manual" });
        expect([302, 401]).toContain(wrong.status);
      } finally {
        await setup.stop();
      }
    }, 30_000);
  });
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = join(import.meta.dir, "screenshots");

describe.skipIf(!NGINX || !existsSync(CHROMIUM))("a browser through nginx, with the app and the login on two host names", () => {
  test("open the app → the login page → log in → back on the app as the user; log out → the login page again", async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const setup = await behind("nginx", "session_auth", { app: "app.example.test", auth: "auth.example.test" }, { COOKIE_DOMAIN: "example.test" });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--host-resolver-rules=MAP app.example.test 127.0.0.1, MAP auth.example.test 127.0.0.1", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${setup.app}/page`);
      await page.waitForSelector("#login-form", { state: "visible" });
      expect(page.url()).toStartWith(`${setup.auth}/?rd=`);
      await page.screenshot({ path: join(SCREENSHOTS, "forward-auth-1-login.png") });
      await page.fill("#email", "bob@hbtn.io");
      await page.fill("#password", "pw-secret");
      await Promise.all([page.waitForURL(`${setup.app}/page`), page.click("#login-button")]);
      expect(await page.textContent("body")).toContain('"email":"bob@hbtn.io"');
      await page.screenshot({ path: join(SCREENSHOTS, "forward-auth-2-app.png") });
      await page.goto(`${setup.auth}/`);
      await page.waitForSelector("#me", { state: "visible" });
      await page.click("#logout-button");
      await page.waitForSelector("#login-form", { state: "visible" });
      await page.goto(`${setup.app}/page`);
      await page.waitForSelector("#login-form", { state: "visible" });
      expect(page.url()).toStartWith(`${setup.auth}/?rd=`);
      await page.screenshot({ path: join(SCREENSHOTS, "forward-auth-3-logged-out.png") });
    } finally {
      await browser.close();
      await setup.stop();
    }
  }, 60_000);
});
