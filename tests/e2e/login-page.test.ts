/**
 * The page at `/` in a real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core): wrong password, right password, reload, HttpOnly cookie, logout, and the
 * old cookie refused afterwards. Screenshots of each step go to tests/e2e/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { SOURCE_COMMAND, type ServerProcess, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { legacyUser, seedUsers, tempDir } from "../helpers.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = join(import.meta.dir, "screenshots");
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`skipping the browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // evil.test is another site on 127.0.0.1, for the login CSRF test.
    args: ["--host-resolver-rules=MAP evil.test 127.0.0.1", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function serve(authType: string | null): Promise<ServerProcess> {
  const dir = tempDir();
  await seedUsers(dir, [{ ...legacyUser("bob@hbtn.io", "fake pwd"), first_name: "Bob", last_name: "Dylan" }]);
  return spawnServer(SOURCE_COMMAND, authType ? { DATA_DIR: dir, AUTH_TYPE: authType } : { DATA_DIR: dir });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

describe.skipIf(!haveChromium)("the login page in Chromium", () => {
  for (const authType of ["session_auth", "session_exp_auth", "session_db_auth"]) {
    test(`log in, reload, log out under ${authType}`, async () => {
      const server = await serve(authType);
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error" && !/status of 40[134]/.test(message.text())) errors.push(message.text());
      });
      try {
        await page.goto(server.base);
        await page.waitForSelector("#login-form", { state: "visible" });
        await shot(page, `${authType}-1-form`);

        await page.fill("#email", "bob@hbtn.io");
        await page.fill("#password", "not it");
        await page.click("#login-button");
        // A selector, not waitForFunction: the page's CSP rightly refuses string evaluation.
        await page.waitForSelector("#login-error:not(:empty)");
        expect(await page.textContent("#login-error")).toBe("The password is not right.");
        expect(await page.textContent("#title")).toBe("Log in");
        await shot(page, `${authType}-2-wrong-password`);

        await page.fill("#password", "fake pwd");
        await page.click("#login-button");
        await page.waitForSelector("#me", { state: "visible" });
        expect(await page.textContent("#me-email")).toBe("bob@hbtn.io");
        expect(await page.textContent("#me-name")).toBe("Bob Dylan");
        expect(await page.textContent("#title")).toBe("Your account");
        // Nothing an end user cannot read: no raw id, no ISO timestamp.
        expect(await page.textContent("#me")).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-|\d{4}-\d\d-\d\dT/);
        await shot(page, `${authType}-3-logged-in`);

        const [cookie] = await context.cookies();
        expect(cookie).toMatchObject({ name: "_my_session_id", httpOnly: true, sameSite: "Lax", path: "/" });
        expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe("");

        await page.reload();
        await page.waitForSelector("#me", { state: "visible" });
        expect(await page.textContent("#me-email")).toBe("bob@hbtn.io");
        await shot(page, `${authType}-4-after-reload`);

        await page.click("#logout-button");
        await page.waitForSelector("#login-form", { state: "visible" });
        await shot(page, `${authType}-5-logged-out`);
        expect(await context.cookies()).toEqual([]);

        const reused = await fetch(`${server.base}/api/v1/users/me`, { headers: { Cookie: `_my_session_id=${cookie!.value}` } });
        expect(reused.status).toBe(403);
        await page.reload();
        await page.waitForSelector("#login-form", { state: "visible" });
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        server.process.kill("SIGTERM");
        await server.process.exited;
      }
    }, 60_000);
  }

  for (const authType of ["session_auth", "session_db_auth"]) {
    test(`two browsers: A ends B's session, B's next request lands on the login form; A changes the password (${authType})`, async () => {
      const server = await serve(authType);
      const [a, b] = [await browser.newContext({ userAgent: "Browser A" }), await browser.newContext({ userAgent: "Browser B" })];
      const [pageA, pageB] = [await a.newPage(), await b.newPage()];
      const logIn = async (page: Page) => {
        await page.goto(server.base);
        await page.waitForSelector("#login-form", { state: "visible" });
        await page.fill("#email", "bob@hbtn.io");
        await page.fill("#password", "fake pwd");
        await page.click("#login-button");
        await page.waitForSelector("#me", { state: "visible" });
      };
      try {
        await logIn(pageA);
        await logIn(pageB);
        await pageA.reload();
        await pageA.waitForSelector("#sessions li:nth-child(2)");
        // Two logins in one second: their order in the list is not fixed, their marks are.
        expect(await pageA.textContent('#sessions li:has-text("Browser A")')).toContain("this browser");
        expect(await pageA.isVisible('#sessions li:has-text("Browser B") button')).toBe(true);
        await shot(pageA, `${authType}-sessions-1-two-browsers`);

        await pageA.click('#sessions li:has-text("Browser B") button');
        await pageA.waitForSelector("#sessions li:nth-child(2)", { state: "detached" });
        await shot(pageA, `${authType}-sessions-2-ended-b`);
        await pageB.reload();
        await pageB.waitForSelector("#login-form", { state: "visible" });
        await shot(pageB, `${authType}-sessions-3-b-logged-out`);

        await logIn(pageB);
        await pageA.fill("#current-password", "fake pwd");
        await pageA.fill("#new-password", "a new password");
        await pageA.click("#password-button");
        await pageA.waitForSelector("#password-message:not(:empty)");
        expect(await pageA.textContent("#password-message")).toBe("Password changed; 1 other session ended.");
        await shot(pageA, `${authType}-sessions-4-password-changed`);
        await pageB.reload();
        await pageB.waitForSelector("#login-form", { state: "visible" });
        await pageA.reload();
        await pageA.waitForSelector("#me", { state: "visible" });
      } finally {
        await a.close();
        await b.close();
        server.process.kill("SIGTERM");
        await server.process.exited;
      }
    }, 60_000);
  }

  test("a page on another origin makes a JSON POST /users with Basic credentials (a preflighted request) and gets 201", async () => {
    const server = await serve("basic_auth");
    // The other origin: another port on 127.0.0.1 serving one page.
    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("<!DOCTYPE html><title>elsewhere</title>", { headers: { "Content-Type": "text/html" } }) });
    const page = await browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${other.port}/`);
      const answer = await page.evaluate(async (base) => {
        const response = await fetch(`${base}/api/v1/users`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Basic ${btoa("bob@hbtn.io:fake pwd")}` },
          body: JSON.stringify({ email: "cross@hbtn.io", password: "pw-secret" }),
        });
        return { status: response.status, email: ((await response.json()) as { email: string }).email };
      }, server.base);
      expect(answer).toEqual({ status: 201, email: "cross@hbtn.io" });
    } finally {
      await page.close();
      other.stop(true);
      server.process.kill("SIGTERM");
      await server.process.exited;
    }
  }, 60_000);

  test("a page on another site that auto-submits a login form is refused, and the browser gets no session", async () => {
    const server = await serve("session_auth");
    const target = `${server.base}/api/v1/auth_session/login`;
    const attacker = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(
          `<!DOCTYPE html><form id="f" method="POST" action="${target}"><input name="email" value="bob@hbtn.io"><input name="password" value="fake pwd"></form><script>document.getElementById("f").submit()</script>`,
          { headers: { "Content-Type": "text/html" } },
        ),
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const answered = page.waitForResponse((response) => response.url() === target);
      await page.goto(`http://evil.test:${attacker.port}/`);
      const response = await answered;
      expect(response.status()).toBe(403);
      await page.waitForLoadState();
      await shot(page, "login-csrf-refused");
      expect(await context.cookies(server.base)).toEqual([]);
    } finally {
      await context.close();
      attacker.stop(true);
      server.process.kill("SIGTERM");
      await server.process.exited;
    }
  }, 60_000);

  for (const authType of ["basic_auth", null]) {
    test(`says plainly that logging in needs session auth (${authType ?? "AUTH_TYPE unset"})`, async () => {
      const server = await serve(authType);
      const page = await browser.newPage();
      try {
        await page.goto(server.base);
        await page.waitForSelector("#off", { state: "visible" });
        expect(await page.textContent("#off")).toContain(authType ? `AUTH_TYPE=${authType}` : "authentication off");
        expect(await page.isVisible("#login-form")).toBe(false);
        await shot(page, `${authType ?? "no-auth"}-notice`);
      } finally {
        await page.close();
        server.process.kill("SIGTERM");
        await server.process.exited;
      }
    }, 60_000);
  }
});
