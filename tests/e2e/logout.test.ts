/**
 * Logging out in a real headless Chromium over plain http with COOKIE_DOMAIN: the session cookie
 * (Domain=example.test) is really gone afterwards, through the link a protected app shows
 * (`GET /logout?rd=…`) and through the page's logout button (`DELETE /api/v1/auth_session/logout`).
 * Chromium refuses `Clear-Site-Data` from an insecure origin and then ignores the same response's
 * `Max-Age=0`, so these fail where the header is sent over http. Host names under .test are
 * mapped to 127.0.0.1, so that a domain cookie can be set at all.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { SOURCE_COMMAND, type ServerProcess, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { legacyUser, seedUsers, tempDir } from "../helpers.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`skipping the browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--host-resolver-rules=MAP *.test 127.0.0.1", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function serve(authType: string): Promise<{ server: ServerProcess; auth: string; app: string }> {
  const dir = tempDir();
  await seedUsers(dir, [legacyUser("bob@hbtn.io", "fake pwd")]);
  const server = await spawnServer(SOURCE_COMMAND, { DATA_DIR: dir, AUTH_TYPE: authType, COOKIE_DOMAIN: "example.test" });
  const port = new URL(server.base).port;
  return { server, auth: `http://auth.example.test:${port}`, app: `http://app.example.test:${port}` };
}

/** Logs bob in through the page; resolves with the session cookie the browser keeps. */
async function logIn(page: Page, context: BrowserContext, auth: string) {
  await page.goto(`${auth}/`);
  await page.waitForSelector("#login-form", { state: "visible" });
  await page.fill("#email", "bob@hbtn.io");
  await page.fill("#password", "fake pwd");
  await page.click("#login-button");
  await page.waitForSelector("#me", { state: "visible" });
  const cookies = await context.cookies();
  expect(cookies.map((cookie) => [cookie.name, cookie.domain])).toEqual([["_my_session_id", ".example.test"]]);
  return cookies[0]!;
}

describe.skipIf(!haveChromium)("logout in Chromium over http with COOKIE_DOMAIN", () => {
  for (const authType of ["session_auth", "session_db_auth"]) {
    test(`GET /logout?rd= from a protected app: the cookie is gone and the browser lands on rd (${authType})`, async () => {
      const { server, auth, app } = await serve(authType);
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const cookie = await logIn(page, context, auth);
        await page.goto(`${auth}/logout?rd=${encodeURIComponent(`${app}/after-logout?x=1`)}`);
        expect(page.url()).toBe(`${app}/after-logout?x=1`);
        expect(await context.cookies()).toEqual([]);
        const reused = await fetch(`${server.base}/api/v1/users/me`, { headers: { Cookie: `_my_session_id=${cookie.value}` } });
        expect(reused.status).toBe(403);

        // A refused return address: the login page.
        await logIn(page, context, auth);
        await page.goto(`${auth}/logout?rd=${encodeURIComponent("http://evil.test/")}`);
        expect(page.url()).toBe(`${auth}/`);
        await page.waitForSelector("#login-form", { state: "visible" });
        expect(await context.cookies()).toEqual([]);
      } finally {
        await context.close();
        server.process.kill("SIGTERM");
        await server.process.exited;
      }
    }, 60_000);

    test(`the page's logout button (DELETE /api/v1/auth_session/logout): the cookie is gone (${authType})`, async () => {
      const { server, auth } = await serve(authType);
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await logIn(page, context, auth);
        await page.click("#logout-button");
        await page.waitForSelector("#login-form", { state: "visible" });
        expect(await context.cookies()).toEqual([]);
        await page.reload();
        await page.waitForSelector("#login-form", { state: "visible" });
      } finally {
        await context.close();
        server.process.kill("SIGTERM");
        await server.process.exited;
      }
    }, 60_000);
  }
});
