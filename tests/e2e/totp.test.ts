/**
 * One-time codes in a real headless Chromium, through the nginx forward-auth example: turn them
 * on from the page (its QR code, read from a screenshot by Debian's zbarimg, is exactly the URI
 * the API gave), see the recovery codes, then open the app behind nginx: the login page asks for
 * the password, then for the code, and lands on the app. Screenshots in tests/e2e/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { fillExample, NGINX, startProxy, stopSetup, waitForPort } from "../../scripts/lib/proxies.ts";
import { freePort, SOURCE_COMMAND, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { base32Decode, totp } from "../../src/auth/factors/totp.ts";
import { legacyUser, seedUsers, tempDir } from "../helpers.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = join(import.meta.dir, "screenshots");

let browser: Browser;

beforeAll(async () => {
  if (!NGINX || !existsSync(CHROMIUM)) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--host-resolver-rules=MAP app.example.test 127.0.0.1, MAP auth.example.test 127.0.0.1", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic", "--disable-background-networking"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

/** session-auth, an app echoing the identity headers, and nginx in front with examples/nginx.conf. */
async function behindNginx() {
  const dir = tempDir();
  const bob = { ...legacyUser("bob@hbtn.io", "pw-secret"), first_name: "Bob" };
  await seedUsers(dir, [bob]);
  const server = await spawnServer(SOURCE_COMMAND, { DATA_DIR: dir, AUTH_TYPE: "session_db_auth", TRUST_PROXY: "1", COOKIE_DOMAIN: "example.test", TOTP_ISSUER: "Example" });
  const echo = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => Response.json({ path: new URL(request.url).pathname, email: request.headers.get("remote-email") }) });
  const [appPort, authPort] = [freePort(), freePort()];
  const login = `http://auth.example.test:${authPort}/`;
  const values = { DIR: dir, APP_PORT: String(appPort), AUTH_PORT: String(authPort), APP_HOST: "127.0.0.1", AUTH_HOST: "127.0.0.1", SESSION_AUTH: server.base.replace("http://", ""), APP: `127.0.0.1:${echo.port}`, LOGIN: login, LOGIN_ENCODED: encodeURIComponent(login) };
  const proxy = startProxy("nginx", dir, fillExample("nginx.conf", values));
  await Promise.all([waitForPort(appPort), waitForPort(authPort)]);
  return { dir, app: `http://app.example.test:${appPort}`, auth: login.slice(0, -1), stop: () => stopSetup(proxy, echo, server) };
}

/** What zbarimg reads in a PNG: the text of the QR code in it. */
function zbarimg(file: string): string {
  const run = Bun.spawnSync(["zbarimg", "--raw", "-q", "-Sbinary", file]);
  return run.stdout.toString();
}

describe.skipIf(!NGINX || !existsSync(CHROMIUM))("one-time codes in Chromium, through nginx", () => {
  test("turn them on from the page (the QR code reads as the API's URI), then log in with password and code and land on the app", async () => {
    const setup = await behindNginx();
    const context = await browser.newContext({ deviceScaleFactor: 2 });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    try {
      await page.goto(`${setup.auth}/`);
      await page.fill("#email", "bob@hbtn.io");
      await page.fill("#password", "pw-secret");
      await page.click("#login-button");
      await page.waitForSelector("#totp-start", { state: "visible" });
      expect(await page.textContent("#totp-state")).toContain("Off");

      const [enrolment] = await Promise.all([page.waitForResponse((response) => response.url().endsWith("/api/v1/auth_session/totp") && response.request().method() === "POST"), page.click("#totp-start")]);
      const { secret, uri } = (await enrolment.json()) as { secret: string; uri: string };
      expect(uri).toStartWith("otpauth://totp/Example:bob%40hbtn.io?secret=");
      await page.waitForSelector("#totp-enrol", { state: "visible" });
      await page.waitForSelector("#totp-qr[src]");
      await page.locator("#totp-qr").evaluate((image) => (image as unknown as { decode(): Promise<void> }).decode());
      expect(await page.textContent("#totp-secret")).toBe(secret);
      const pageShot = join(SCREENSHOTS, "totp-1-enrol.png");
      await page.screenshot({ path: pageShot, fullPage: true });
      // The QR code as the browser drew it, read by an independent decoder.
      expect(zbarimg(pageShot)).toBe(uri);

      await page.fill("#totp-confirm-code", await totp(base32Decode(secret)!, Date.now()));
      await page.click("#totp-confirm-button");
      await page.waitForSelector("#totp-codes", { state: "visible" });
      const codes = await page.locator("#totp-code-list li").allTextContents();
      expect(codes).toHaveLength(10);
      for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
      await page.screenshot({ path: join(SCREENSHOTS, "totp-2-recovery-codes.png"), fullPage: true });
      await page.click("#totp-done");
      await page.waitForSelector("#totp-manage-form", { state: "visible" });
      expect(await page.textContent("#totp-state")).toContain("On");
      await page.click("#logout-button");
      await page.waitForSelector("#login-form", { state: "visible" });

      // The app behind nginx: the login page, the password, then the code it asks for.
      await page.goto(`${setup.app}/page`);
      await page.waitForSelector("#login-form", { state: "visible" });
      expect(page.url()).toStartWith(`${setup.auth}/?rd=`);
      await page.fill("#email", "bob@hbtn.io");
      await page.fill("#password", "pw-secret");
      await page.click("#login-button");
      await page.waitForSelector("#code-label", { state: "visible" });
      expect(await page.textContent("#login-error")).toBe("Enter the code from your authenticator app, or a recovery code.");
      await page.screenshot({ path: join(SCREENSHOTS, "totp-3-code-asked.png") });
      await page.fill("#code", "000000");
      await page.click("#login-button");
      await page.waitForSelector("#login-error:has-text('The code is not right.')");
      // The next step's code: the one that turned the factor on is used.
      await page.fill("#code", await totp(base32Decode(secret)!, Date.now() + 30_000));
      await Promise.all([page.waitForURL(`${setup.app}/page`), page.click("#login-button")]);
      expect(await page.textContent("body")).toContain('"email":"bob@hbtn.io"');
      await page.screenshot({ path: join(SCREENSHOTS, "totp-4-app.png") });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await setup.stop();
    }
  }, 90_000);
});
