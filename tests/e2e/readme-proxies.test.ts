/**
 * The README's nginx and Caddy configurations, taken from README.md itself and run with real
 * nginx and Caddy on one port of 127.0.0.1 (the documented replacements only: listen port and the
 * addresses of session-auth and of the app), in front of session-auth and an app that echoes every
 * header it receives. Requests name the README's hosts, app.example.com and auth.example.com, in
 * `Host`, as a browser would.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CADDY, localConfig, NGINX, readmeConfig, startProxy, stopSetup, waitForPort } from "../../scripts/lib/proxies.ts";
import { freePort, SOURCE_COMMAND, type ServerProcess, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { openGroupStore } from "../../src/storage/group-store.ts";
import { legacyUser, seedUsers, tempDir } from "../helpers.ts";

const APP_HOST = "app.example.com";
const AUTH_HOST = "auth.example.com";

/** Users whose identity must reach the app byte for byte: every script, not normalised. */
const USERS = {
  bob: { email: "bob@hbtn.io", first_name: "Bob", last_name: "Dylan", name: "Bob Dylan" },
  cjk: { email: "юзер@пример.рф", first_name: "张", last_name: "伟 ☃ 😀", name: "张 伟 ☃ 😀" },
  // A combining acute accent after e and а (not the precomposed é): it must arrive as stored.
  latin: { email: "zoë@exämple.com", first_name: "Zoë", last_name: "Cafe\u0301 Ива\u0301нова", name: "Zoë Cafe\u0301 Ива\u0301нова" },
  // Line breaks, NUL and DEL would split or forge a header: they never go out as written.
  mallory: { email: "mallory@example.com", first_name: "Mal\r\nRemote-User: admin", last_name: "\u0000X\u007f", name: "MalRemote-User: admin X" },
} as const;
type Who = keyof typeof USERS;

/** The app: every header it was sent, values read as the UTF-8 of their bytes. */
function startApp() {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    // Bun hands over each byte of a header value as one character (Latin-1): back to bytes, then UTF-8.
    fetch: (request) => Response.json({ path: new URL(request.url).pathname, headers: [...request.headers].map(([name, value]) => [name, Buffer.from(value, "latin1").toString("utf8")]) }),
  });
}

interface Setup {
  port: number;
  ids: Record<Who, string>;
  stop(): Promise<void>;
}

async function behind(proxy: "nginx" | "caddy", edit: (config: string) => string = (config) => config): Promise<Setup> {
  const dir = tempDir();
  const records = Object.fromEntries(Object.entries(USERS).map(([who, user]) => [who, { ...legacyUser(user.email, `pw-${who}`), first_name: user.first_name, last_name: user.last_name }]));
  await seedUsers(dir, Object.values(records));
  // Bob is in groups, which reach the app as Remote-Groups; the others are in none, and get no such header.
  const groups = openGroupStore(dir);
  await groups.save({ id: records.bob!.id, created_at: records.bob!.created_at, updated_at: records.bob!.updated_at, groups: "admins,ops" });
  await groups.close();
  const server: ServerProcess = await spawnServer(SOURCE_COMMAND, { DATA_DIR: dir, AUTH_TYPE: "session_db_auth", TRUST_PROXY: "1", COOKIE_DOMAIN: "example.com" });
  const echo = startApp();
  const port = freePort();
  const config = localConfig(proxy, readmeConfig(proxy === "nginx" ? "nginx" : "caddyfile"), { dir, port, sessionAuth: server.base.replace("http://", ""), app: `127.0.0.1:${echo.port}` });
  const child = startProxy(proxy, dir, edit(config));
  try {
    await waitForPort(port);
  } catch (error) {
    child.kill("SIGTERM");
    throw new Error(`${proxy} did not start: ${await new Response(child.stderr as ReadableStream).text()}`, { cause: error });
  }
  return {
    port,
    ids: Object.fromEntries(Object.entries(records).map(([who, record]) => [who, record.id])) as Record<Who, string>,
    stop: () => stopSetup(child, echo, server),
  };
}

/** A request to `host` of the README, through the proxy's one port. */
function to(setup: Setup, host: string, path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${setup.port}${path}`, { redirect: "manual", ...init, headers: { Host: `${host}:${setup.port}`, ...init.headers } });
}

/** What a browser sends with the login page's form (a fetch from the page itself). */
function browserPost(setup: Setup): Record<string, string> {
  return { Origin: `http://${AUTH_HOST}:${setup.port}`, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty" };
}

async function logIn(setup: Setup, who: Who, headers = browserPost(setup)): Promise<string> {
  const response = await to(setup, AUTH_HOST, "/api/v1/auth_session/login", { method: "POST", headers, body: new URLSearchParams({ email: USERS[who].email, password: `pw-${who}` }) });
  expect([who, response.status, await response.text()]).toEqual([who, 200, expect.any(String)]);
  return (response.headers.get("set-cookie") ?? "").split(";")[0]!;
}

/** The identity headers the app received, under their names lower-cased and with `_` read as `-` (as CGI and WSGI apps read them). */
async function identityAtApp(response: Response): Promise<Record<string, string[]>> {
  expect(response.status).toBe(200);
  const { headers } = (await response.json()) as { headers: [string, string][] };
  const seen: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase().replace(/_/g, "-");
    if (key.startsWith("remote-")) (seen[key] ??= []).push(value);
  }
  return seen;
}

const FORGED = { "Remote-User": "admin", Remote_User: "admin", "remote-name": "Evil", Remote_Name: "Evil", "Remote-Email": "evil@evil.test", remote_email: "evil@evil.test", "Remote-Groups": "admins", remote_groups: "admins" };
/** A user in no groups: nginx sends no Remote-Groups (an empty variable sets no header), Caddy copies it empty. */
const NO_GROUPS = (proxy: "nginx" | "caddy"): Record<string, string[]> => (proxy === "caddy" ? { "remote-groups": [""] } : {});
const BOB = (setup: Setup) => ({ "remote-user": [setup.ids.bob], "remote-email": ["bob@hbtn.io"], "remote-name": ["Bob Dylan"], "remote-groups": ["admins,ops"] });
const NAVIGATION = { Accept: "text/html,application/xhtml+xml", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none" };

for (const proxy of ["nginx", "caddy"] as const) {
  describe.skipIf(!(proxy === "nginx" ? NGINX : CADDY))(`README.md's ${proxy} configuration`, () => {
    let setup: Setup;
    beforeAll(async () => {
      setup = await behind(proxy);
    }, 30_000);
    afterAll(async () => {
      await setup?.stop();
    });

    test("not signed in: a browser is sent to the login page on the auth host with the address asked for; the app is never reached", async () => {
      for (const cookie of [undefined, "_my_session_id=forged"]) {
        const response = await to(setup, APP_HOST, "/page?x=1", { headers: { ...NAVIGATION, ...FORGED, ...(cookie ? { Cookie: cookie } : {}) } });
        expect(response.status).toBe(302);
        const location = response.headers.get("location")!;
        expect(location).toStartWith(`http://${AUTH_HOST}/?rd=`);
        expect(decodeURIComponent(location)).toEndWith(`?rd=http://${APP_HOST}:${setup.port}/page?x=1`);
      }
      // An API call: Caddy passes on session-auth's 401; nginx sends every refused request to @login.
      const api = await to(setup, APP_HOST, "/page", { headers: { Accept: "application/json", ...FORGED } });
      expect(api.status).toBe(proxy === "nginx" ? 302 : 401);
      expect(await api.text()).not.toContain('"headers"');
    });

    test("a browser's login through the auth host (its Origin, with and without Fetch Metadata), then the app answers to the session cookie", async () => {
      // A browser without Fetch Metadata sends the Origin alone.
      for (const headers of [browserPost(setup), { Origin: `http://${AUTH_HOST}:${setup.port}` }]) {
        const cookie = await logIn(setup, "bob", headers);
        expect(cookie).toStartWith("_my_session_id=");
        const page = await to(setup, APP_HOST, "/page", { headers: { ...NAVIGATION, Cookie: cookie } });
        expect(await identityAtApp(page)).toEqual(BOB(setup));
      }
      // The login page itself, on the auth host, to someone signed in: on to the address asked for.
      const cookie = await logIn(setup, "bob");
      const rd = `http://${APP_HOST}:${setup.port}/page`;
      expect(await (await to(setup, AUTH_HOST, `/?rd=${rd}`, { headers: { ...NAVIGATION, Cookie: cookie } })).text()).toContain(`data-return="${rd}"`);
    });

    test("a client's own Remote-User, Remote_User, remote-name, Remote_Name, Remote-Email, remote_email, Remote-Groups, remote_groups never reach the app", async () => {
      const cookie = await logIn(setup, "bob");
      const page = await to(setup, APP_HOST, "/page", { headers: { ...NAVIGATION, ...FORGED, Cookie: cookie } });
      expect(await identityAtApp(page)).toEqual(BOB(setup));
    });

    test("names and emails in any script (CJK, Cyrillic, emoji, Latin-1, combining marks) reach the app as the UTF-8 bytes stored", async () => {
      for (const who of ["cjk", "latin"] as const) {
        const cookie = await logIn(setup, who);
        const page = await to(setup, APP_HOST, "/page", { headers: { ...NAVIGATION, ...FORGED, Cookie: cookie } });
        expect([who, await identityAtApp(page)]).toEqual([who, { "remote-user": [setup.ids[who]], "remote-email": [USERS[who].email], "remote-name": [USERS[who].name], ...NO_GROUPS(proxy) }]);
      }
    });

    test("a name with CR, LF, NUL and DEL neither splits nor adds a header", async () => {
      const cookie = await logIn(setup, "mallory");
      const page = await to(setup, APP_HOST, "/page", { headers: { ...NAVIGATION, Cookie: cookie } });
      expect(await identityAtApp(page)).toEqual({ "remote-user": [setup.ids.mallory], "remote-email": ["mallory@example.com"], "remote-name": [USERS.mallory.name], ...NO_GROUPS(proxy) });
    });
  });
}

describe.skipIf(!NGINX)("README.md's nginx configuration in an nginx that lets underscores through (underscores_in_headers on)", () => {
  test("a client's Remote_User, Remote_Name, remote_email, remote_groups still never reach the app", async () => {
    const setup = await behind("nginx", (config) => config.replace("\nhttp {\n", "\nhttp {\n  underscores_in_headers on;\n"));
    try {
      const cookie = await logIn(setup, "bob");
      const page = await to(setup, APP_HOST, "/page", { headers: { ...NAVIGATION, ...FORGED, Cookie: cookie } });
      expect(await identityAtApp(page)).toEqual(BOB(setup));
    } finally {
      await setup.stop();
    }
  }, 30_000);
});
