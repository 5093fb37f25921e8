/**
 * Passkeys in a real headless Chromium with its WebAuthn virtual authenticator (DevTools
 * protocol: ctap2, internal transport, resident keys, user verification), on the page the
 * compiled binary (dist/session-auth, built first) serves: register, sign out, sign in with the passkey alone; password plus passkey as
 * the second factor; through the nginx forward-auth example to an app; and the refusals a
 * browser can meet (a bogus signature, another origin, a replayed or expired challenge, another
 * user's credential, a counter that goes back, user verification missing). Screenshots of each
 * go to tests/e2e/screenshots/passkeys-*.png.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from "playwright-core";
import { fillExample, NGINX, startProxy, stopSetup, waitForPort } from "../../scripts/lib/proxies.ts";
import { freePort, ROOT, type ServerProcess, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { silentLogger } from "../../src/logger.ts";
import { startServer } from "../../src/app/start.ts";
import { FakeClock, legacyUser, seedUsers, tempDir, testConfig } from "../helpers.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = join(import.meta.dir, "screenshots");
const haveChromium = existsSync(CHROMIUM);
const BOB = { ...legacyUser("bob@hbtn.io", "pw-secret"), first_name: "Bob" };
const ANN = legacyUser("ann@hbtn.io", "pw-secret");

const BINARY = join(ROOT, "dist", "session-auth");
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`build failed:\n${build.stderr.toString()}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // localhost is a secure context over http, and a valid RP ID (an IP address is not).
    args: ["--host-resolver-rules=MAP localhost 127.0.0.1", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** The binary on its own process, seen by the browser as http://localhost:PORT. */
async function serve(env: Record<string, string> = {}): Promise<{ server: ServerProcess; base: string; dir: string }> {
  const dir = tempDir();
  await seedUsers(dir, [BOB, ANN]);
  const server = await spawnServer([BINARY], { DATA_DIR: dir, AUTH_TYPE: "session_db_auth", ...env });
  return { server, dir, base: server.base.replace("127.0.0.1", "localhost") };
}

async function stop(server: ServerProcess): Promise<void> {
  server.process.kill();
  await server.process.exited;
}

interface Authenticator {
  cdp: CDPSession;
  id: string;
}

/** A platform authenticator with resident keys and user verification, answering at once. */
async function virtualAuthenticator(page: Page): Promise<Authenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, id: authenticatorId };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `passkeys-${name}.png`), fullPage: true });
}

async function newPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  return { context, page, errors };
}

async function passwordLogin(page: Page, base: string, email = BOB.email!): Promise<void> {
  await page.goto(base);
  await page.waitForSelector("#login-form", { state: "visible" });
  await page.fill("#email", email);
  await page.fill("#password", "pw-secret");
  await page.click("#login-button");
}

/** Signs in with the password and adds a passkey named `name` on the page. */
async function addPasskey(page: Page, base: string, name: string, email = BOB.email!): Promise<void> {
  await passwordLogin(page, base, email);
  await page.waitForSelector("#me", { state: "visible" });
  await page.fill("#passkey-name", name);
  await page.click("#passkey-add");
  await page.waitForSelector(`#passkeys li[data-id] >> text=${name}`);
}

async function logOut(page: Page): Promise<void> {
  await page.click("#logout-button");
  await page.waitForSelector("#login-form", { state: "visible" });
}

/** What the session the browser holds proves. */
async function factors(context: BrowserContext, base: string): Promise<string[]> {
  const response = await context.request.get(`${base}/api/v1/auth_session/sessions`);
  return (await response.json()).find((session: { current: boolean }) => session.current).factors;
}

async function refusedWith(page: Page): Promise<string> {
  await page.waitForSelector("#login-error:not(:empty)");
  expect(await page.isVisible("#me")).toBe(false);
  return (await page.textContent("#login-error"))!;
}

describe.skipIf(!haveChromium)("passkeys in Chromium", () => {
  test("register, rename, sign out, sign in with the passkey alone (both factors)", async () => {
    const { server, base } = await serve();
    const { context, page, errors } = await newPage();
    try {
      await virtualAuthenticator(page);
      await addPasskey(page, base, "Laptop");
      expect(await page.textContent("#passkey-message")).toBe("Passkey added.");
      expect(await page.textContent("#passkeys")).toContain("not used yet");
      await shot(page, "1-added");
      await page.click("#passkeys li[data-id] >> text=Rename");
      await page.fill("#passkeys input.rename", "Work laptop");
      await page.click("#passkeys li >> text=Save");
      await page.waitForSelector("#passkeys li[data-id] >> text=Work laptop");
      await logOut(page);
      await shot(page, "2-login-form");
      await page.click("#passkey-login");
      await page.waitForSelector("#me", { state: "visible" });
      expect(await page.textContent("#me-email")).toBe(BOB.email!);
      expect(await factors(context, base)).toEqual(["passkey_verified"]);
      await page.waitForSelector("#passkeys li[data-id] >> text=last used");
      await shot(page, "3-signed-in-with-passkey");
      await page.click("#passkeys li[data-id] >> text=Remove");
      await page.waitForSelector("#passkeys li >> text=No passkeys yet.");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await stop(server);
    }
  }, 60_000);

  test("password plus passkey as the second factor", async () => {
    const { server, base } = await serve();
    const { context, page, errors } = await newPage();
    try {
      await virtualAuthenticator(page);
      await addPasskey(page, base, "Phone");
      await logOut(page);
      // The password alone is answered with "second factor required"; the page asks the authenticator.
      await passwordLogin(page, base);
      await page.waitForSelector("#me", { state: "visible" });
      expect(await factors(context, base)).toEqual(["password", "passkey"]);
      await shot(page, "4-password-and-passkey");
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await stop(server);
    }
  }, 60_000);

  test("a two_factor address with a one-factor session: the page asks for the passkey, then goes on there with a session proving both", async () => {
    const rules = join(tempDir(), "rules.yaml");
    writeFileSync(rules, "default_policy: one_factor\nrules:\n  - paths: [/vault]\n    policy: two_factor\n");
    const { server, base } = await serve({ ACCESS_RULES: rules });
    const { context, page, errors } = await newPage();
    try {
      await virtualAuthenticator(page);
      // Signed in with the password, then a passkey added: this session proves one factor.
      await addPasskey(page, base, "Laptop");
      expect(await factors(context, base)).toEqual(["password"]);
      const vault = `${base}/vault`;
      await page.goto(`${base}/?rd=${encodeURIComponent(vault)}`);
      await page.waitForSelector("#factor", { state: "visible" });
      expect(await page.isVisible("#factor-code")).toBe(false);
      expect(await page.textContent("#factor-text")).toBe("Confirm with your passkey.");
      await shot(page, "5-step-up-passkey");
      await Promise.all([page.waitForURL(vault), page.click("#factor-passkey")]);
      expect(await factors(context, base)).toEqual(["password", "passkey"]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await stop(server);
    }
  }, 60_000);

  test("refused: a bogus signature, user verification missing, a counter that goes back, another user's credential", async () => {
    const { server, base } = await serve();
    const { context, page } = await newPage();
    try {
      const authenticator = await virtualAuthenticator(page);
      await addPasskey(page, base, "Laptop");
      await logOut(page);
      await page.click("#passkey-login");
      await page.waitForSelector("#me", { state: "visible" });
      await logOut(page);

      await authenticator.cdp.send("WebAuthn.setResponseOverrideBits", { authenticatorId: authenticator.id, isBogusSignature: true });
      await page.click("#passkey-login");
      expect(await refusedWith(page)).toBe("Passkey refused: signature is not valid.");
      await shot(page, "5-bogus-signature");

      await authenticator.cdp.send("WebAuthn.setResponseOverrideBits", { authenticatorId: authenticator.id, isBogusSignature: false, isBadUV: true });
      await page.click("#passkey-login");
      await page.waitForSelector("#login-error >> text=user verification");
      expect(await page.textContent("#login-error")).toBe("Passkey refused: user verification is required.");
      await shot(page, "6-no-user-verification");
      await authenticator.cdp.send("WebAuthn.setResponseOverrideBits", { authenticatorId: authenticator.id, isBadUV: false });

      // The same key again with its counter set back: a clone, as far as anyone can tell.
      const { credentials } = await authenticator.cdp.send("WebAuthn.getCredentials", { authenticatorId: authenticator.id });
      const credential = credentials[0]!;
      expect(credential.signCount).toBeGreaterThan(0);
      await authenticator.cdp.send("WebAuthn.removeCredential", { authenticatorId: authenticator.id, credentialId: credential.credentialId });
      await authenticator.cdp.send("WebAuthn.addCredential", { authenticatorId: authenticator.id, credential: { ...credential, signCount: 0 } });
      await page.click("#passkey-login");
      await page.waitForSelector("#login-error >> text=cloned");
      expect(await page.textContent("#login-error")).toBe("Passkey refused: signature counter did not increase: possible cloned authenticator.");
      await shot(page, "7-counter-back");

      // Bob's passkey offered for Ann's email.
      await page.fill("#email", ANN.email!);
      await page.click("#passkey-login");
      await page.waitForSelector("#login-error >> text=not registered");
      expect(await page.textContent("#login-error")).toBe("Passkey refused: this passkey is not registered for this account.");
      await shot(page, "8-another-users-credential");
    } finally {
      await context.close();
      await stop(server);
    }
  }, 90_000);

  test("refused: an assertion made on another origin (a phishing page), and a replayed one", async () => {
    const { server, base } = await serve();
    // Another origin on this machine, as a phishing page would be: it asks the real server for
    // options (the API answers any origin) and gets an assertion for the same RP ID.
    const evil = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("<!DOCTYPE html><title>evil</title><p>evil", { headers: { "Content-Type": "text/html" } }) });
    const { context, page } = await newPage();
    try {
      await virtualAuthenticator(page);
      await addPasskey(page, base, "Laptop");
      // The page's own sign-in, its request kept: sent again, it is a replay.
      let sent = "";
      await page.route("**/api/v1/auth_session/passkeys/login", async (route) => {
        sent = route.request().postData() ?? "";
        await route.continue();
      });
      await logOut(page);
      await page.click("#passkey-login");
      await page.waitForSelector("#me", { state: "visible" });
      const replay = await fetch(`${server.base}/api/v1/auth_session/passkeys/login`, { method: "POST", body: sent, headers: { "Content-Type": "application/json", Host: new URL(base).host } });
      expect(replay.status).toBe(401);
      expect(((await replay.json()) as { error: string }).error).toBe("passkey refused: challenge does not match");

      await page.goto(`http://localhost:${evil.port}/`);
      const phished = await page.evaluate(async (api) => {
        // Runs in the page: the DOM's types are not this project's.
        const b64 = (buffer: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
        const unb64 = (text: string) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
        const options: any = await (await fetch(`${api}/api/v1/auth_session/passkeys/login_options`, { method: "POST" })).json();
        const credential: any = await (navigator as any).credentials.get({ publicKey: { ...options, challenge: unb64(options.challenge) } });
        const response = credential.response;
        const assertion = { id: credential.id, rawId: b64(credential.rawId), type: credential.type, clientExtensionResults: {}, response: { clientDataJSON: b64(response.clientDataJSON), authenticatorData: b64(response.authenticatorData), signature: b64(response.signature), userHandle: b64(response.userHandle) } };
        // Posted from the phishing page itself: refused before the assertion is looked at.
        const direct = await fetch(`${api}/api/v1/auth_session/passkeys/login`, { method: "POST", body: JSON.stringify(assertion), headers: { "Content-Type": "application/json" } });
        return { assertion, direct: direct.status };
      }, base);
      expect(phished.direct).toBe(403);
      await shot(page, "9-phishing-page");
      // Relayed by the phisher from elsewhere: the origin the browser signed is not this server's.
      const relayed = await fetch(`${server.base}/api/v1/auth_session/passkeys/login`, { method: "POST", body: JSON.stringify(phished.assertion), headers: { "Content-Type": "application/json", Host: new URL(base).host } });
      expect(relayed.status).toBe(401);
      expect(((await relayed.json()) as { error: string }).error).toBe("passkey refused: origin is not allowed");
    } finally {
      await context.close();
      evil.stop(true);
      await stop(server);
    }
  }, 60_000);

  test("refused: a challenge answered after it expired (5 minutes)", async () => {
    // In this process, to move its clock; the page and the routes are the same.
    const dir = tempDir();
    await seedUsers(dir, [BOB]);
    const clock = new FakeClock(Date.now());
    const running = startServer(testConfig({ AUTH_TYPE: "session_db_auth" }, dir), { clock: clock.read, logger: silentLogger });
    const base = running.url.replace("127.0.0.1", "localhost");
    const { context, page } = await newPage();
    try {
      await virtualAuthenticator(page);
      await addPasskey(page, base, "Laptop");
      await logOut(page);
      await page.route("**/api/v1/auth_session/passkeys/login", async (route) => {
        clock.advance(5 * 60 + 1);
        await route.continue();
      });
      await page.click("#passkey-login");
      expect(await refusedWith(page)).toBe("Passkey refused: challenge does not match.");
      await shot(page, "10-expired-challenge");
    } finally {
      await context.close();
      await running.stop();
    }
  }, 60_000);

  test("a browser that refuses gets a plain message: the authenticator holds a passkey for this account already", async () => {
    const { server, base } = await serve();
    const { context, page } = await newPage();
    try {
      await virtualAuthenticator(page);
      await addPasskey(page, base, "Laptop");
      // excludeCredentials lists it: the browser refuses (InvalidStateError) without asking the server.
      await page.fill("#passkey-name", "Again");
      await page.click("#passkey-add");
      await page.waitForSelector("#passkey-message.error");
      expect(await page.textContent("#passkey-message")).toBe("This authenticator already holds a passkey for this account.");
      expect(await page.locator("#passkeys li[data-id]").count()).toBe(1);
      await shot(page, "11-browser-refused");
    } finally {
      await context.close();
      await stop(server);
    }
  }, 60_000);
});

describe.skipIf(!haveChromium || !NGINX)("passkeys through the nginx forward-auth example", () => {
  test("the app → the login page → sign in with a passkey → back on the app as the user", async () => {
    const { server, base, dir } = await serve({ TRUST_PROXY: "1" });
    const echo = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => Response.json({ path: new URL(request.url).pathname, email: request.headers.get("remote-email") }) });
    // App and login on one host name, two ports: the cookie (not bound to a port) reaches both.
    const [appPort, authPort] = [freePort(), freePort()];
    const login = `http://localhost:${authPort}/`;
    const proxy = startProxy(
      "nginx",
      dir,
      fillExample("nginx.conf", { DIR: dir, APP_PORT: String(appPort), AUTH_PORT: String(authPort), APP_HOST: "127.0.0.1", AUTH_HOST: "127.0.0.1", SESSION_AUTH: server.base.replace("http://", ""), APP: `127.0.0.1:${echo.port}`, LOGIN: login, LOGIN_ENCODED: encodeURIComponent(login) }),
    );
    const { context, page } = await newPage();
    try {
      await Promise.all([waitForPort(appPort), waitForPort(authPort)]);
      void base;
      await virtualAuthenticator(page);
      await addPasskey(page, `http://localhost:${authPort}`, "Laptop");
      await logOut(page);
      await page.goto(`http://localhost:${appPort}/page`);
      await page.waitForSelector("#login-form", { state: "visible" });
      expect(page.url()).toStartWith(`http://localhost:${authPort}/?rd=`);
      await Promise.all([page.waitForURL(`http://localhost:${appPort}/page`), page.click("#passkey-login")]);
      expect(await page.textContent("body")).toContain('"email":"bob@hbtn.io"');
      await shot(page, "12-through-nginx");
    } finally {
      await context.close();
      await stopSetup(proxy, echo, server);
    }
  }, 60_000);
});
