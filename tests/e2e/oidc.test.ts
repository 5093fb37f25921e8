/**
 * Sign-in with a provider in headless Chromium, through the nginx forward-auth example: the app
 * → the login page → "Sign in with <label>" → panva's oidc-provider's own login and consent
 * pages → back to the app as the user the provider named. Screenshots of each step go to
 * tests/e2e/screenshots/.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { fillExample, NGINX, startProxy, stopSetup, waitForPort } from "../../scripts/lib/proxies.ts";
import { freePort, SOURCE_COMMAND, spawnServer } from "../../scripts/lib/spawn-server.ts";
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
  test("the app → the login page → Sign in with Example ID → the provider → back on the app as its user", async () => {
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
    } finally {
      await browser.close();
      await stopSetup(nginx, echo, server);
      await provider.stop();
    }
  }, 90_000);
});
