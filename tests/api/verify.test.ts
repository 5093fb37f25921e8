/** /api/v1/auth/verify for reverse proxies, COOKIE_DOMAIN, and the login page's return address. */
import { describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { SOURCE_COMMAND, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { headerValue } from "../../src/api/v1/verify.ts";
import { silentLogger } from "../../src/logger.ts";
import { startServer } from "../../src/app/start.ts";
import { basicHeader, call, FakeClock, legacyUser, seedUsers, sessionIdFrom, tempDir, testApp, testConfig } from "../helpers.ts";

const VERIFY = "/api/v1/auth/verify";

async function setUp(env: Record<string, string>, clock?: FakeClock) {
  const dir = tempDir();
  const bob = { ...legacyUser("bob@hbtn.io", "pw-secret"), first_name: "Bob", last_name: "Dylan" };
  await seedUsers(dir, [bob]);
  return { bob, app: testApp(env, { dataDir: dir, clock }) };
}

describe("verify", () => {
  test("a live session: 200 with the user's id, email and name, nothing to cache; any method", async () => {
    const { bob, app } = await setUp({ AUTH_TYPE: "session_db_auth" });
    const session = sessionIdFrom((await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" } })).headers);
    for (const method of ["GET", "POST", "HEAD", "DELETE"]) {
      const answer = await call(app, VERIFY, { method, headers: { Cookie: `_my_session_id=${session}` } });
      expect([method, answer.status]).toEqual([method, 200]);
      expect(answer.headers.get("remote-user")).toBe(bob.id);
      expect(answer.headers.get("remote-email")).toBe("bob@hbtn.io");
      expect(answer.headers.get("remote-name")).toBe("Bob Dylan");
      expect(answer.headers.get("cache-control")).toBe("no-store");
      expect(answer.text).toBe("");
    }
  });

  test("no cookie, an unknown or expired one, a deleted user: 401, never the guard's 403", async () => {
    const clock = new FakeClock();
    const { bob, app } = await setUp({ AUTH_TYPE: "session_exp_auth", SESSION_DURATION: "60" }, clock);
    const session = sessionIdFrom((await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" } })).headers);
    expect((await call(app, VERIFY)).status).toBe(401);
    expect((await call(app, VERIFY, { headers: { Cookie: "_my_session_id=forged" } })).status).toBe(401);
    clock.advance(61);
    expect((await call(app, VERIFY, { headers: { Cookie: `_my_session_id=${session}` } })).status).toBe(401);
    clock.advance(-61);
    const again = sessionIdFrom((await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" } })).headers);
    expect((await call(app, `/api/v1/users/${bob.id}`, { method: "DELETE", headers: { Cookie: `_my_session_id=${again}` } })).status).toBe(200);
    expect((await call(app, VERIFY, { headers: { Cookie: `_my_session_id=${again}` } })).status).toBe(401);
  });

  test("the 401 is the answer every /api/v1 route gives: sorted, indented JSON with the CORS header, never stored", async () => {
    const { app } = await setUp({ AUTH_TYPE: "session_auth" });
    const guarded = await call(app, "/api/v1/users/me");
    const refused = await call(app, VERIFY);
    expect([refused.status, refused.text]).toEqual([401, guarded.text]);
    expect(refused.text).toBe('{\n  "error": "Unauthorized"\n}\n');
    expect(refused.headers.get("content-type")).toBe(guarded.headers.get("content-type"));
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    expect(refused.headers.get("cache-control")).toBe("no-store");
  });

  test("basic_auth: the Basic header names the user; a wrong password is 401, throttled ones too", async () => {
    const { bob, app } = await setUp({ AUTH_TYPE: "basic_auth", LOGIN_MAX_FAILURES_PER_ACCOUNT: "2" });
    const ok = await call(app, VERIFY, { headers: { Authorization: basicHeader("bob@hbtn.io", "pw-secret") } });
    expect([ok.status, ok.headers.get("remote-user")]).toEqual([200, bob.id]);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(app, VERIFY, { headers: { Authorization: basicHeader("bob@hbtn.io", `wrong ${i}`) } })).status);
    expect(statuses).toEqual([401, 401, 401, 401]);
  });

  test("a browser navigation is sent to the login page with the original address; an API call gets 401", async () => {
    const { app } = await setUp({ AUTH_TYPE: "session_auth", FORWARD_AUTH_LOGIN_URL: "https://auth.example.test/", COOKIE_DOMAIN: "example.test" });
    const forwarded = { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.test", "X-Forwarded-Uri": "/page?x=1" };
    const navigation = await call(app, VERIFY, { headers: { ...forwarded, "Sec-Fetch-Mode": "navigate", Accept: "text/html" } });
    expect(navigation.status).toBe(302);
    expect(navigation.headers.get("location")).toBe(`https://auth.example.test/?rd=${encodeURIComponent("https://app.example.test/page?x=1")}`);
    expect((await call(app, VERIFY, { headers: { ...forwarded, Accept: "application/json" } })).status).toBe(401);
    const original = await call(app, `${VERIFY}?login=${encodeURIComponent("https://login.example.test/")}`, { headers: { "X-Original-URL": "https://app.example.test/x", Accept: "text/html" } });
    expect(original.headers.get("location")).toBe(`https://login.example.test/?rd=${encodeURIComponent("https://app.example.test/x")}`);
  });

  test("a ?login= that fails the check is never followed and never a 5xx: the configured login page instead, or 401", async () => {
    const configured = await setUp({ AUTH_TYPE: "session_auth", FORWARD_AUTH_LOGIN_URL: "https://auth.example.test/", COOKIE_DOMAIN: "example.test" });
    const bare = await setUp({ AUTH_TYPE: "session_auth", COOKIE_DOMAIN: "example.test" });
    const headers = { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.test", "X-Forwarded-Uri": "/page", "Sec-Fetch-Mode": "navigate" };
    const hostile = ["https://evil.example/", "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example", "%", "http://[", "https://app.example.test@evil.example/", "https://evil.example\\@app.example.test/", "/login"];
    for (const login of hostile) {
      for (const query of [`login=${encodeURIComponent(login)}`, `login=${login}`]) {
        const redirected = await call(configured.app, `${VERIFY}?${query}`, { headers });
        expect([query, redirected.status, redirected.headers.get("location")]).toEqual([query, 302, `https://auth.example.test/?rd=${encodeURIComponent("https://app.example.test/page")}`]);
        const refused = await call(bare.app, `${VERIFY}?${query}`, { headers });
        expect([query, refused.status, refused.json, refused.headers.get("location")]).toEqual([query, 401, { error: "Unauthorized" }, null]);
      }
    }
  });

  test("a ?login= on the host the browser asked for, an allowed host or under COOKIE_DOMAIN wins over FORWARD_AUTH_LOGIN_URL", async () => {
    const { app } = await setUp({ AUTH_TYPE: "session_auth", FORWARD_AUTH_LOGIN_URL: "https://auth.example.test/", COOKIE_DOMAIN: "example.test", ALLOWED_REDIRECT_HOSTS: "login.internal" });
    const headers = { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.other.test", "X-Forwarded-Uri": "/", "Sec-Fetch-Mode": "navigate" };
    const rd = `?rd=${encodeURIComponent("https://app.other.test/")}`;
    for (const login of ["https://app.other.test/login", "https://login.internal/", "https://sso.example.test/"]) {
      expect((await call(app, `${VERIFY}?login=${encodeURIComponent(login)}`, { headers })).headers.get("location")).toBe(`${login}${rd}`);
    }
  });

  test("the host the browser asked for comes from X-Forwarded-Host or X-Original-URL, never from the Host header alone", async () => {
    const { app } = await setUp({ AUTH_TYPE: "session_auth" });
    const login = `${VERIFY}?login=${encodeURIComponent("https://app.example.test/login")}`;
    const navigate = { "Sec-Fetch-Mode": "navigate" };
    const viaForwarded = await call(app, login, { headers: { ...navigate, "X-Forwarded-Host": "app.example.test", "X-Forwarded-Uri": "/x" } });
    expect(viaForwarded.headers.get("location")).toBe(`https://app.example.test/login?rd=${encodeURIComponent("http://app.example.test/x")}`);
    const viaOriginal = await call(app, login, { headers: { ...navigate, "X-Original-URL": "https://app.example.test/y" } });
    expect(viaOriginal.headers.get("location")).toBe(`https://app.example.test/login?rd=${encodeURIComponent("https://app.example.test/y")}`);
    const hostOnly = await call(app, login, { headers: { ...navigate, Host: "app.example.test" } });
    expect([hostOnly.status, hostOnly.headers.get("location")]).toEqual([401, null]);
  });

  test("an original address that fails the check goes to the login page without it", async () => {
    const { app } = await setUp({ AUTH_TYPE: "session_auth", FORWARD_AUTH_LOGIN_URL: "https://auth.example.test/", COOKIE_DOMAIN: "example.test" });
    const navigate = { "Sec-Fetch-Mode": "navigate" };
    const cases: Record<string, string>[] = [
      { "X-Forwarded-Host": "app.example.test", "X-Forwarded-Uri": "@evil.example/" },
      { "X-Forwarded-Host": "app.example.test", "X-Forwarded-Uri": "/a\tb" },
      { "X-Forwarded-Host": "app.example.test", "X-Forwarded-Proto": "javascript", "X-Forwarded-Uri": "/" },
      { "X-Original-URL": "https://app.example.test@evil.example/" },
      { "X-Original-URL": `https://app.example.test/${"x".repeat(3000)}` },
    ];
    for (const headers of cases) {
      const answer = await call(app, VERIFY, { headers: { ...navigate, ...headers } });
      expect([JSON.stringify(headers), answer.status, answer.headers.get("location")]).toEqual([JSON.stringify(headers), 302, "https://auth.example.test/"]);
    }
  });

  test("through a real socket: no hostile ?login= is followed, none is a 5xx", async () => {
    const dir = tempDir();
    await seedUsers(dir, [legacyUser("bob@hbtn.io", "pw")]);
    const running = startServer(testConfig({ AUTH_TYPE: "session_auth", FORWARD_AUTH_LOGIN_URL: "https://auth.example.test/", COOKIE_DOMAIN: "example.test" }, dir), { logger: silentLogger });
    try {
      const headers = { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.test", "X-Forwarded-Uri": "/page", "Sec-Fetch-Mode": "navigate" };
      for (const login of ["https://evil.example/", "javascript:alert(1)", "data:text/html,x", "//evil.example", "%", "http://["]) {
        const answer = await fetch(`${running.url}${VERIFY}?login=${login}`, { headers, redirect: "manual" });
        expect([login, answer.status, answer.headers.get("location")]).toEqual([login, 302, `https://auth.example.test/?rd=${encodeURIComponent("https://app.example.test/page")}`]);
      }
    } finally {
      await running.stop();
    }
  });

  test("a store that cannot be reached is a 503, never a 200", async () => {
    const app = testApp({ AUTH_TYPE: "basic_auth", DATABASE_URL: "postgres://u@127.0.0.1:1/db", STORE_TIMEOUT_MS: "500" });
    expect((await call(app, VERIFY, { headers: { Authorization: basicHeader("bob@hbtn.io", "pw-secret") } })).status).toBe(503);
    await app.close().catch(() => {});
  });
});

/** Sends `request` as it is on a socket and gives back every byte of the answer. */
function rawExchange(port: number, request: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
  });
}

/** A head's header lines as raw bytes, split only at CR LF. */
function headerLines(answer: Buffer): Buffer[] {
  const head = answer.subarray(0, answer.indexOf("\r\n\r\n"));
  const lines: Buffer[] = [];
  for (let at = 0; at <= head.length; ) {
    const end = head.indexOf("\r\n", at);
    lines.push(head.subarray(at, end < 0 ? head.length : end));
    at = end < 0 ? head.length + 1 : end + 2;
  }
  return lines.slice(1);
}

describe("headerValue", () => {
  /** The bytes a value goes out as: one per character. */
  const bytes = (text: string | null) => [...Buffer.from(headerValue(text), "latin1")].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
  test.each([
    [null, ""],
    ["bob@hbtn.io", "62 6f 62 40 68 62 74 6e 2e 69 6f"],
    ["Zoë", "5a 6f c3 ab"],
    ["张", "e5 bc a0"],
    ["e\u0301", "65 cc 81"],
    ["☃😀", "e2 98 83 f0 9f 98 80"],
    ["a\r\nb", "61 62"],
    ["\u0000\t\u007f\u0085\u009fé", "c3 a9"],
    ["x\ud800", "78 ef bf bd"],
  ])("%p goes out as %p", (text, expected) => {
    expect(bytes(text)).toBe(expected);
  });
});

describe("verify: identity headers of any user", () => {
  const users = [
    { email: "юзер@пример.рф", first_name: "张", last_name: "伟 ☃ 😀", name: "张 伟 ☃ 😀" },
    { email: "zoë@exämple.com", first_name: "Zoë", last_name: "Cafe\u0301", name: "Zoë Cafe\u0301" },
    { email: "snow@example.com", first_name: "☃", last_name: null, name: "☃" },
  ];

  test("names and emails in any script: 200, each value the UTF-8 bytes of the text as stored (not normalised)", async () => {
    const dir = tempDir();
    const records = users.map((user) => ({ ...legacyUser(user.email, "pw"), first_name: user.first_name, last_name: user.last_name }));
    await seedUsers(dir, records);
    const app = testApp({ AUTH_TYPE: "basic_auth" }, { dataDir: dir });
    for (const [i, user] of users.entries()) {
      const answer = await call(app, VERIFY, { headers: { Authorization: basicHeader(user.email, "pw") } });
      expect([user.name, answer.status]).toEqual([user.name, 200]);
      // A Headers value holds one character per byte sent.
      const bytes = (name: string) => Buffer.from(answer.headers.get(name) ?? "", "latin1");
      expect(bytes("remote-user")).toEqual(Buffer.from(records[i]!.id));
      expect(bytes("remote-email")).toEqual(Buffer.from(user.email));
      expect(bytes("remote-name")).toEqual(Buffer.from(user.name));
    }
  });

  test("on the wire: the bytes of UTF-8; CR, LF, NUL, DEL and C1 controls in a name never go out, nor split the header", async () => {
    const dir = tempDir();
    const zhang = { ...legacyUser("юзер@пример.рф", "pw"), first_name: "张 Zoë", last_name: "e\u0301 😀" };
    const mallory = { ...legacyUser("mallory@example.com", "pw"), first_name: "Mal\r\nRemote-User: admin\r\n", last_name: "\u0000X\u007f\u0085\u009fY\tZ" };
    await seedUsers(dir, [zhang, mallory]);
    const server = await spawnServer(SOURCE_COMMAND, { DATA_DIR: dir, AUTH_TYPE: "basic_auth" });
    try {
      const port = Number(new URL(server.base).port);
      const ask = async (email: string) => headerLines(await rawExchange(port, `GET ${VERIFY} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicHeader(email, "pw")}\r\nConnection: close\r\n\r\n`));
      const lines = await ask("юзер@пример.рф");
      expect(lines).toContainEqual(Buffer.from("Remote-Name: 张 Zoë e\u0301 😀"));
      expect(lines).toContainEqual(Buffer.from("Remote-Email: юзер@пример.рф"));
      const forged = await ask("mallory@example.com");
      const remote = forged.filter((line) => line.toString("latin1").toLowerCase().startsWith("remote-"));
      expect(remote).toEqual([Buffer.from(`Remote-User: ${mallory.id}`), Buffer.from("Remote-Email: mallory@example.com"), Buffer.from("Remote-Name: MalRemote-User: admin XYZ"), Buffer.from("Remote-Groups: ")]);
      for (const line of forged) expect([...line].filter((byte) => byte < 0x20 || byte === 0x7f)).toEqual([]);
    } finally {
      server.process.kill("SIGTERM");
      await server.process.exited;
    }
  });
});

describe("COOKIE_DOMAIN and the return address", () => {
  test("the session cookie and the logout cookie carry the same Domain", async () => {
    const { app } = await setUp({ AUTH_TYPE: "session_auth", COOKIE_DOMAIN: "example.test" });
    const login = await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" } });
    expect(login.headers.get("set-cookie")).toContain("; Domain=example.test");
    const out = await call(app, "/api/v1/auth_session/logout", { method: "DELETE", headers: { Cookie: `_my_session_id=${sessionIdFrom(login.headers)}` } });
    expect(out.headers.get("set-cookie")).toContain("; Domain=example.test");
    const hostOnly = await setUp({ AUTH_TYPE: "session_auth" });
    expect((await call(hostOnly.app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" } })).headers.get("set-cookie")).not.toContain("Domain");
  });

  test("the page carries a return address only when it may be followed", async () => {
    const { app } = await setUp({ AUTH_TYPE: "session_auth", COOKIE_DOMAIN: "example.test" });
    const page = async (rd: string) => (await call(app, `/?rd=${encodeURIComponent(rd)}`, { headers: { Host: "auth.example.test" } })).text;
    expect(await page("https://app.example.test/x")).toContain('data-return="https://app.example.test/x"');
    expect(await page("https://evil.test/")).toContain('data-return=""');
    expect(await page('https://app.example.test/"><script>')).not.toContain("<script>\"");
  });
});
