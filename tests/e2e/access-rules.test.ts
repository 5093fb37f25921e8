/**
 * Access rules end to end: the README's nginx and Caddy configurations, run as readme-proxies
 * runs them, in front of session-auth with a rules file (bypass, deny, a group, two_factor, a
 * method, networks) and an app that echoes the identity headers it gets; and a browser through
 * examples/nginx.conf meeting a two_factor rule with a one-factor session, then giving its code.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chromium } from "playwright-core";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CADDY, fillExample, localConfig, NGINX, readmeConfig, startProxy, stopSetup, waitForPort } from "../../scripts/lib/proxies.ts";
import { freePort, SOURCE_COMMAND, type ServerProcess, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { base32Decode, totp } from "../../src/auth/factors/totp.ts";
import { openGroupStore } from "../../src/storage/group-store.ts";
import { legacyUser, seedUsers, tempDir } from "../helpers.ts";

const APP_HOST = "app.example.com";
const AUTH_HOST = "auth.example.com";

/** Every policy and matcher, on the README's app host; anything else refused. */
function rulesFor(appHost: string): string {
  return `default_policy: deny
rules:
  - hosts: [${appHost}]
    paths: [/health]
    policy: bypass
  - paths: [/secret]
    policy: deny
  - paths: [/items]
    methods: [DELETE]
    policy: deny
  - paths: [/office]
    networks: [127.0.0.0/8, "::1"]
    policy: bypass
  - paths: [/lan]
    networks: [10.0.0.0/8]
    policy: bypass
  - hosts: [${appHost}]
    paths: [/admin]
    subjects: ["group:admins"]
    policy: one_factor
  - paths: [/admin]
    policy: deny
  - hosts: [${appHost}]
    paths: [/vault]
    policy: two_factor
  - hosts: [${appHost}]
    policy: one_factor
`;
}

/** The app: the path and the identity headers it was sent. */
function startApp() {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) => Response.json({ path: new URL(request.url).pathname, identity: [...request.headers].filter(([name]) => /^remote[-_]/i.test(name)) }),
  });
}

/** Ann is an admin by group; Bob is in none. */
async function seed(dir: string) {
  const ann = { ...legacyUser("ann@example.com", "pw-ann"), first_name: "Ann" };
  const bob = { ...legacyUser("bob@example.com", "pw-bob"), first_name: "Bob" };
  await seedUsers(dir, [ann, bob]);
  const groups = openGroupStore(dir);
  await groups.save({ id: ann.id, created_at: ann.created_at, updated_at: ann.updated_at, groups: "admins" });
  await groups.close();
  return { ann, bob };
}

interface Setup {
  port: number;
  annId: string;
  stop(): Promise<void>;
}

async function behind(proxy: "nginx" | "caddy"): Promise<Setup> {
  const dir = tempDir();
  const { ann } = await seed(dir);
  writeFileSync(join(dir, "rules.yaml"), rulesFor(APP_HOST));
  const server: ServerProcess = await spawnServer(SOURCE_COMMAND, { DATA_DIR: dir, AUTH_TYPE: "session_db_auth", TRUST_PROXY: "1", COOKIE_DOMAIN: "example.com", ACCESS_RULES: join(dir, "rules.yaml") });
  const echo = startApp();
  const port = freePort();
  const config = localConfig(proxy, readmeConfig(proxy === "nginx" ? "nginx" : "caddyfile"), { dir, port, sessionAuth: server.base.replace("http://", ""), app: `127.0.0.1:${echo.port}` });
  const child = startProxy(proxy, dir, config);
  try {
    await waitForPort(port);
  } catch (error) {
    child.kill("SIGTERM");
    throw new Error(`${proxy} did not start: ${await new Response(child.stderr as ReadableStream).text()}`, { cause: error });
  }
  return { port, annId: ann.id, stop: () => stopSetup(child, echo, server) };
}

function to(setup: Setup, host: string, path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${setup.port}${path}`, { redirect: "manual", ...init, headers: { Host: `${host}:${setup.port}`, ...init.headers } });
}

async function logIn(setup: Setup, email: string, password: string): Promise<string> {
  const origin = { Origin: `http://${AUTH_HOST}:${setup.port}`, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors" };
  const response = await to(setup, AUTH_HOST, "/api/v1/auth_session/login", { method: "POST", headers: origin, body: new URLSearchParams({ email, password }) });
  expect(response.status).toBe(200);
  return (response.headers.get("set-cookie") ?? "").split(";")[0]!;
}

const NAVIGATION = { Accept: "text/html", "Sec-Fetch-Mode": "navigate" };
const FORGED = { "Remote-User": "admin", "Remote-Groups": "admins", Remote_Groups: "admins" };

/** What the app got: the status, and the identity header names and values it was sent. */
async function atApp(response: Response): Promise<{ status: number; identity?: Record<string, string> }> {
  if (response.status !== 200) return { status: response.status };
  const body = (await response.json()) as { identity: [string, string][] };
  return { status: 200, identity: Object.fromEntries(body.identity.filter(([, value]) => value !== "")) };
}

for (const proxy of ["nginx", "caddy"] as const) {
  describe.skipIf(!(proxy === "nginx" ? NGINX : CADDY))(`access rules through README.md's ${proxy} configuration`, () => {
    let setup: Setup;
    let ann: string;
    let bob: string;
    beforeAll(async () => {
      setup = await behind(proxy);
      ann = await logIn(setup, "ann@example.com", "pw-ann");
      bob = await logIn(setup, "bob@example.com", "pw-bob");
    }, 30_000);
    afterAll(async () => {
      await setup?.stop();
    });

    test("bypass: the app is reached without a login, and with no identity headers, forged ones included", async () => {
      expect(await atApp(await to(setup, APP_HOST, "/health?probe=1", { headers: FORGED }))).toEqual({ status: 200, identity: {} });
      expect(await atApp(await to(setup, APP_HOST, "/health", { headers: { ...FORGED, Cookie: ann } }))).toEqual({ status: 200, identity: {} });
    });

    test("deny: 403 for a signed-in user, by any spelling of the path", async () => {
      for (const path of ["/secret", "/secret/x", "//secret", "/public/../secret", "/public/%2e%2e/secret", "/%73ecret"]) {
        expect([path, (await to(setup, APP_HOST, path, { headers: { ...NAVIGATION, Cookie: ann } })).status]).toEqual([path, 403]);
      }
      expect((await to(setup, APP_HOST, "/secretary", { headers: { Cookie: ann } })).status).toBe(200);
    });

    test("a client's own X-Original-* or X-Forwarded-* naming another request never decides", async () => {
      const spoofs: Record<string, string>[] = [{ "X-Original-URL": `http://${APP_HOST}/health` }, { "X-Forwarded-Uri": "/health", "X-Forwarded-Host": APP_HOST }, { "X-Forwarded-Method": "GET", "X-Original-Method": "GET" }];
      for (const spoof of spoofs) {
        expect([spoof, (await to(setup, APP_HOST, "/secret", { headers: { ...spoof, Cookie: ann } })).status]).toEqual([spoof, 403]);
        expect([spoof, (await to(setup, APP_HOST, "/items/3", { method: "DELETE", headers: { ...spoof, Cookie: ann } })).status]).toEqual([spoof, 403]);
      }
    });

    test("a method rule: DELETE refused, GET let through", async () => {
      expect((await to(setup, APP_HOST, "/items/3", { method: "DELETE", headers: { Cookie: ann } })).status).toBe(403);
      expect((await to(setup, APP_HOST, "/items/3", { headers: { Cookie: ann } })).status).toBe(200);
    });

    test("networks: the client's address as the proxy gives it (127.0.0.1 is the office; 10/8 is not where it comes from)", async () => {
      expect((await to(setup, APP_HOST, "/office")).status).toBe(200);
      const lan = await to(setup, APP_HOST, "/lan", { headers: NAVIGATION });
      expect(lan.status).toBe(302);
    });

    test("a group: a member gets in with Remote-Groups; nobody signed in goes to the login page; a signed-in non-member gets 403, no redirect", async () => {
      expect(await atApp(await to(setup, APP_HOST, "/admin", { headers: { ...FORGED, Cookie: ann } }))).toEqual({
        status: 200,
        identity: { "remote-user": setup.annId, "remote-email": "ann@example.com", "remote-name": "Ann", "remote-groups": "admins" },
      });
      const anonymous = await to(setup, APP_HOST, "/admin", { headers: NAVIGATION });
      expect([anonymous.status, anonymous.headers.get("location")?.startsWith(`http://${AUTH_HOST}/?rd=`)]).toEqual([302, true]);
      const refused = await to(setup, APP_HOST, "/admin", { headers: { ...NAVIGATION, Cookie: bob } });
      expect([refused.status, refused.headers.get("location")]).toEqual([403, null]);
    });

    test("two_factor with a one-factor session: the login page (nginx's @login; Caddy: session-auth's step_up=1), which asks for a second factor instead of sending the browser back", async () => {
      const response = await to(setup, APP_HOST, "/vault/key?x=1", { headers: { ...NAVIGATION, Cookie: bob } });
      expect(response.status).toBe(302);
      const location = response.headers.get("location")!;
      expect(location).toStartWith(proxy === "nginx" ? `http://${AUTH_HOST}/?rd=` : `http://${AUTH_HOST}/?step_up=1&rd=`);
      const page = await to(setup, AUTH_HOST, location.slice(`http://${AUTH_HOST}`.length), { headers: { ...NAVIGATION, Cookie: bob } });
      expect(await page.text()).toContain('data-step-up="setup"');
      // Not signed in at all: a plain login, no step-up.
      expect((await to(setup, APP_HOST, "/vault", { headers: NAVIGATION })).headers.get("location")).toStartWith(`http://${AUTH_HOST}/?rd=`);
    });
  });
}

/** Turns on one-time codes for a user through the API, in a session of its own; the secret. */
async function enrolElsewhere(base: string, email: string, password: string): Promise<NonNullable<ReturnType<typeof base32Decode>>> {
  const login = await fetch(`${base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email, password }) });
  const cookie = { Cookie: (login.headers.get("set-cookie") ?? "").split(";")[0]! };
  const { secret } = (await (await fetch(`${base}/api/v1/auth_session/totp`, { method: "POST", headers: cookie })).json()) as { secret: string };
  const key = base32Decode(secret)!;
  const confirmed = await fetch(`${base}/api/v1/auth_session/totp/confirm`, { method: "POST", headers: cookie, body: new URLSearchParams({ code: await totp(key, Date.now()) }) });
  expect(confirmed.status).toBe(200);
  return key;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = join(import.meta.dir, "screenshots");

describe.skipIf(!NGINX || !existsSync(CHROMIUM))("a browser through nginx meets a two_factor rule", () => {
  test("log in for the app → the vault needs a second factor → the page says so and stays (no loop) → codes turned on elsewhere → the vault asks this session for a code → the vault", async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const dir = tempDir();
    await seed(dir);
    writeFileSync(join(dir, "rules.yaml"), rulesFor("app.example.test"));
    const server = await spawnServer(SOURCE_COMMAND, { DATA_DIR: dir, AUTH_TYPE: "session_auth", TRUST_PROXY: "1", COOKIE_DOMAIN: "example.test", ACCESS_RULES: join(dir, "rules.yaml") });
    const echo = startApp();
    const [appPort, authPort] = [freePort(), freePort()];
    const login = `http://auth.example.test:${authPort}/`;
    const values = { DIR: dir, APP_PORT: String(appPort), AUTH_PORT: String(authPort), APP_HOST: "app.example.test", AUTH_HOST: "auth.example.test", SESSION_AUTH: server.base.replace("http://", ""), APP: `127.0.0.1:${echo.port}`, LOGIN: login, LOGIN_ENCODED: encodeURIComponent(login) };
    const child = startProxy("nginx", dir, fillExample("nginx.conf", values));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--host-resolver-rules=MAP app.example.test 127.0.0.1, MAP auth.example.test 127.0.0.1", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"],
    });
    try {
      await Promise.all([waitForPort(appPort), waitForPort(authPort)]);
      const app = `http://app.example.test:${appPort}`;
      const page = await browser.newPage();
      await page.goto(`${app}/wiki`);
      await page.waitForSelector("#login-form", { state: "visible" });
      await page.fill("#email", "bob@example.com");
      await page.fill("#password", "pw-bob");
      await Promise.all([page.waitForURL(`${app}/wiki`), page.click("#login-button")]);
      expect(await page.textContent("body")).toContain('"remote-email","bob@example.com"');
      // The vault wants two factors; Bob's session has one, and Bob has no second factor yet.
      await page.goto(`${app}/vault`);
      await page.waitForSelector("#step-up", { state: "visible" });
      expect(page.url()).toStartWith(`${login}?rd=`);
      expect(await page.textContent("#step-up")).toContain("needs a second factor, and your account has none yet: set one up");
      await page.waitForSelector("#me", { state: "visible" });
      // It stays: the page does not send the browser back to the vault to be sent here again.
      await Bun.sleep(500);
      expect(page.url()).toStartWith(`${login}?rd=`);
      await page.screenshot({ path: join(SCREENSHOTS, "access-rules-step-up.png") });

      // Bob turns on one-time codes from another device, a second later: this browser's session,
      // made before them, still proves one factor.
      await Bun.sleep(1050 - (Date.now() % 1000));
      const secret = await enrolElsewhere(server.base, "bob@example.com", "pw-bob");
      // Back to the vault: sent to the page, which asks for the code instead of a new login.
      await page.goto(`${app}/vault`);
      await page.waitForSelector("#factor", { state: "visible" });
      expect(await page.textContent("#step-up")).toBe("The page you asked for needs your second factor.");
      expect(await page.isVisible("#login-form")).toBe(false);
      await page.fill("#factor-code", "000000");
      await page.click("#factor-button");
      await page.waitForSelector("#factor-error:has-text('The code is not right.')");
      await page.screenshot({ path: join(SCREENSHOTS, "access-rules-step-up-code.png") });
      // The next step's code (the current one was spent turning the factor on): the vault, as Bob.
      await page.fill("#factor-code", await totp(secret, Date.now() + 30_000));
      await Promise.all([page.waitForURL(`${app}/vault`), page.click("#factor-button")]);
      expect(await page.textContent("body")).toContain('"remote-email","bob@example.com"');
      // The session that proved one factor ended; the new one proves both and stays let through.
      await page.goto(`${app}/wiki`);
      expect(await page.textContent("body")).toContain('"remote-email","bob@example.com"');
    } finally {
      await browser.close();
      await stopSetup(child, echo, server);
    }
  }, 60_000);
});
