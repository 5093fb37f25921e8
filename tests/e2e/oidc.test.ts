/**
 * Sign-in with a provider in headless Chromium, through the nginx forward-auth example: the app
 * → the login page → "Sign in with <label>" → panva's oidc-provider's own login and consent
 * pages → back to the app as the user the provider named; then, once that user has one-time
 * codes, the page asks for the code after the provider's sign-in. Screenshots of each step go to
 * tests/e2e/screenshots/.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { fillExample, NGINX, startProxy, stopSetup, waitForPort } from "../../scripts/lib/proxies.ts";
import { freePort, SOURCE_COMMAND, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { base32Decode, totp } from "../../src/auth/factors/totp.ts";
import { startLocalProvider } from "../fixtures/oidc-provider.ts";
import { tempDir } from "../helpers.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = join(import.meta.dir, "screenshots");

async function signingKey(): Promise<Record<string, unknown>> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const { key_ops: _ops, ext: _ext, ...jwk } = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as Record<string, unknown>;
  return { ...jwk, kid: "e2e-1", alg: "ES256", use: "sig" };
}

describe.skipIf(!NGINX || !existsSync(CHROMIUM))("sign-in with a provider in Chromium, through nginx", () => {
  test("the app → the login page → Sign in with Example ID → the provider → back on the app as its user; with one-time codes on, the page asks for the code first", async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const dir = tempDir();
    const [appPort, authPort] = [freePort(), freePort()];
    const auth = `http://auth.example.test:${authPort}`;
    const app = `http://app.example.test:${appPort}`;
    const provider = await startLocalProvider({
      keys: [await signingKey()],
      clientId: "session-auth-e2e",
      clientSecret: "e2e secret",
      redirectUri: `${auth}/api/v1/auth_session/oidc/example/callback`,
      idTokenAlg: "ES256",
      accounts: { "ada-1815": { email: "ada@example.test", email_verified: true, given_name: "Ada" } },
    });
    const server = await spawnServer(SOURCE_COMMAND, {
      DATA_DIR: dir,
      AUTH_TYPE: "session_db_auth",
      TRUST_PROXY: "1",
      COOKIE_DOMAIN: "example.test",
      PUBLIC_URL: auth,
      OIDC_PROVIDERS: "example",
      OIDC_EXAMPLE_ISSUER: provider.issuer,
      OIDC_EXAMPLE_CLIENT_ID: "session-auth-e2e",
      OIDC_EXAMPLE_CLIENT_SECRET: "e2e secret",
      OIDC_EXAMPLE_LABEL: "Example ID",
      OIDC_EXAMPLE_CREATE_USERS: "1",
    });
    const echo = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => Response.json({ path: new URL(request.url).pathname, email: request.headers.get("remote-email"), name: request.headers.get("remote-name") }) });
    const login = `${auth}/`;
    const values = { DIR: dir, APP_PORT: String(appPort), AUTH_PORT: String(authPort), APP_HOST: "127.0.0.1", AUTH_HOST: "127.0.0.1", SESSION_AUTH: server.base.replace("http://", ""), APP: `127.0.0.1:${echo.port}`, LOGIN: login, LOGIN_ENCODED: encodeURIComponent(login) };
    const nginx = startProxy("nginx", dir, fillExample("nginx.conf", values));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--host-resolver-rules=MAP app.example.test 127.0.0.1, MAP auth.example.test 127.0.0.1", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic", "--disable-background-networking"],
    });
    try {
      await Promise.all([waitForPort(appPort), waitForPort(authPort)]);
      const page = await browser.newPage();
      // The provider's development pages import a web font: nothing leaves this machine.
      await page.route(/^https?:\/\/(?!127\.0\.0\.1|app\.example\.test|auth\.example\.test)/, (route) => route.abort());
      await page.goto(`${app}/page?x=1`);
      await page.waitForSelector("#login-form", { state: "visible" });
      expect(page.url()).toStartWith(`${auth}/?rd=`);
      const button = page.locator("a.provider");
      expect(await button.textContent()).toBe("Sign in with Example ID");
      await page.screenshot({ path: join(SCREENSHOTS, "oidc-1-login-page.png") });

      await Promise.all([page.waitForURL(`${provider.issuer}/**`), button.click()]);
      await page.waitForSelector("input[name=login]");
      await page.screenshot({ path: join(SCREENSHOTS, "oidc-2-provider-login.png") });
      await page.fill("input[name=login]", "ada-1815");
      await page.fill("input[name=password]", "anything");
      await Promise.all([page.waitForSelector("button[autofocus]"), page.click("button[type=submit]")]);
      await page.screenshot({ path: join(SCREENSHOTS, "oidc-3-provider-consent.png") });
      await Promise.all([page.waitForURL(`${app}/page?x=1`), page.click("button[type=submit]")]);
      const seen = JSON.parse((await page.textContent("body"))!);
      expect(seen).toMatchObject({ path: "/page", email: "ada@example.test", name: "Ada" });
      await page.screenshot({ path: join(SCREENSHOTS, "oidc-4-back-on-the-app.png") });

      // The account page lists the session, made by the sign-in.
      await page.goto(`${auth}/`);
      await page.waitForSelector("#me", { state: "visible" });
      expect(await page.textContent("#me-email")).toBe("ada@example.test");
      // …and the identity it is linked to.
      await page.waitForSelector("#identities-section", { state: "visible" });
      expect(await page.textContent("#identities")).toContain("example · ada@example.test");
      await page.screenshot({ path: join(SCREENSHOTS, "oidc-5-account.png") });

      // Ada turns on one-time codes (this session goes on proving the code it confirmed with). A
      // provider's sign-in that reports no MFA proves one factor: from now on the page asks her
      // for the code before the app lets her in.
      await page.click("#totp-start");
      await page.waitForSelector("#totp-enrol", { state: "visible" });
      const secret = base32Decode((await page.textContent("#totp-secret"))!)!;
      await page.fill("#totp-confirm-code", await totp(secret, Date.now()));
      await page.click("#totp-confirm-button");
      await page.waitForSelector("#totp-codes", { state: "visible" });
      await page.click("#totp-done");
      await page.click("#logout-button");
      await page.waitForSelector("#login-form", { state: "visible" });

      await page.goto(`${app}/page?x=2`);
      await page.waitForSelector("#login-form", { state: "visible" });
      await page.click("a.provider");
      // The provider may ask again for the login or the consent, or remember both.
      for (let step = 0; step < 4 && !(await page.isVisible("#factor")); step++) {
        await page.waitForSelector("input[name=login], button[autofocus], #factor:not([hidden])");
        if (await page.isVisible("input[name=login]")) {
          await page.fill("input[name=login]", "ada-1815");
          await page.fill("input[name=password]", "anything");
          await page.click("button[type=submit]");
        } else if (await page.isVisible("button[autofocus]")) {
          await page.click("button[autofocus]");
        }
      }
      await page.waitForSelector("#factor", { state: "visible" });
      expect(page.url()).toStartWith(`${auth}/?rd=`);
      expect(await page.textContent("#factor-text")).toBe("Enter the code from your authenticator app, or a recovery code.");
      await page.screenshot({ path: join(SCREENSHOTS, "oidc-6-second-factor.png") });
      // The next step's code: the current one was spent turning the factor on.
      await page.fill("#factor-code", await totp(secret, Date.now() + 30_000));
      await Promise.all([page.waitForURL(`${app}/page?x=2`), page.click("#factor-button")]);
      expect(JSON.parse((await page.textContent("body"))!)).toMatchObject({ path: "/page", email: "ada@example.test" });
    } finally {
      await browser.close();
      await stopSetup(nginx, echo, server);
      await provider.stop();
    }
  }, 90_000);
});
