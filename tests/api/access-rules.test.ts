/** Verify under ACCESS_RULES: each policy, subjects, networks, the step-up, and a bad file at start-up. */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../src/config.ts";
import { call, legacyUser, seedUsers, sessionIdFrom, tempDir, testApp } from "../helpers.ts";

const VERIFY = "/api/v1/auth/verify";

const RULES = {
  default_policy: "deny",
  rules: [
    { hosts: ["app.example.test"], paths: ["/api/health"], policy: "bypass" },
    { networks: ["10.0.0.0/8"], hosts: ["intranet.example.test"], policy: "bypass" },
    { paths: ["/secret"], policy: "deny" },
    { hosts: ["admin.example.test"], subjects: ["user:ann@example.test"], policy: "one_factor" },
    { hosts: ["vault.example.test"], policy: "two_factor" },
    { hosts: ["app.example.test", "*.apps.example.test"], policy: "one_factor" },
  ],
};

async function setUp(env: Record<string, string> = {}, rules: unknown = RULES) {
  const dir = tempDir();
  const ann = { ...legacyUser("ann@example.test", "pw-secret"), first_name: "Ann" };
  const bob = legacyUser("bob@example.test", "pw-secret");
  await seedUsers(dir, [ann, bob]);
  const file = join(dir, "rules.yaml");
  writeFileSync(file, JSON.stringify(rules));
  const app = testApp({ AUTH_TYPE: "session_db_auth", COOKIE_DOMAIN: "example.test", FORWARD_AUTH_LOGIN_URL: "http://auth.example.test/", ACCESS_RULES: file, ...env }, { dataDir: dir });
  const login = async (email: string) => sessionIdFrom((await call(app, "/api/v1/auth_session/login", { form: { email, password: "pw-secret" } })).headers);
  return { app, ann, bob, dir, file, annSession: await login(ann.email!), bobSession: await login(bob.email!) };
}

/** Verify asked about `url` as nginx asks (X-Original-URL), by an API client or a browser navigation. */
const ask = (app: Awaited<ReturnType<typeof setUp>>["app"], url: string, options: { session?: string; navigate?: boolean; headers?: Record<string, string>; client?: string } = {}) =>
  call(app, VERIFY, {
    client: options.client,
    headers: {
      "X-Original-URL": url,
      ...(options.session ? { Cookie: `_my_session_id=${options.session}` } : {}),
      ...(options.navigate ? { "Sec-Fetch-Mode": "navigate" } : { Accept: "application/json" }),
      ...options.headers,
    },
  });

/** The identity headers with a value: a bypass sends them empty (for Caddy's copy_headers), naming nobody. */
const identity = (headers: Headers) => ["remote-user", "remote-email", "remote-name", "remote-groups"].filter((name) => (headers.get(name) ?? "") !== "");

describe("verify under access rules", () => {
  test("bypass: 200 without identity headers, even for a signed-in user; the path is matched as normalised, the query left out", async () => {
    const { app, annSession } = await setUp();
    for (const url of ["http://app.example.test/api/health", "http://APP.example.test./api/health?full=1", "http://app.example.test//api/./health"]) {
      const anonymous = await ask(app, url);
      expect([url, anonymous.status, identity(anonymous.headers)]).toEqual([url, 200, []]);
      const signedIn = await ask(app, url, { session: annSession });
      expect([url, signedIn.status, identity(signedIn.headers)]).toEqual([url, 200, []]);
    }
    expect((await ask(app, "http://app.example.test/api/healthz")).status).toBe(401);
  });

  test("deny: 403 for everyone, and for paths that reach it by dot segments or encoding", async () => {
    const { app, annSession } = await setUp();
    for (const path of ["/secret", "/secret/x", "/public/../secret", "/public/%2e%2e/secret", "/%73ecret", "/secret%2Fx"]) {
      expect([path, (await ask(app, `http://app.example.test${path}`)).status]).toEqual([path, 403]);
      expect([path, (await ask(app, `http://app.example.test${path}`, { session: annSession })).status]).toEqual([path, 403]);
    }
    expect((await ask(app, "http://app.example.test/secretary", { session: annSession })).status).toBe(200);
  });

  test("one_factor: signed in gets the identity headers (Remote-Groups too); nobody gets 401, a browser the login page", async () => {
    const { app, ann, annSession } = await setUp();
    const ok = await ask(app, "http://x.apps.example.test/page", { session: annSession });
    expect([ok.status, ok.headers.get("remote-user"), ok.headers.get("remote-email"), ok.headers.get("remote-name"), ok.headers.get("remote-groups")]).toEqual([200, ann.id, ann.email, "Ann", ""]);
    expect((await ask(app, "http://x.apps.example.test/page")).status).toBe(401);
    const browser = await ask(app, "http://x.apps.example.test/page", { navigate: true });
    expect([browser.status, browser.headers.get("location")]).toEqual([302, `http://auth.example.test/?rd=${encodeURIComponent("http://x.apps.example.test/page")}`]);
  });

  test("subjects: nobody signed in is asked to log in; a signed-in user the rule does not admit falls through to the next rule (here the default deny: 403, no redirect)", async () => {
    const { app, annSession, bobSession } = await setUp();
    expect((await ask(app, "http://admin.example.test/")).status).toBe(401);
    expect((await ask(app, "http://admin.example.test/", { navigate: true })).status).toBe(302);
    expect((await ask(app, "http://admin.example.test/", { session: annSession })).status).toBe(200);
    const bob = await ask(app, "http://admin.example.test/", { session: bobSession, navigate: true });
    expect([bob.status, bob.headers.get("location")]).toEqual([403, null]);
  });

  test("default policy for a host no rule names; a request whose host the proxy did not give matches no host rule", async () => {
    const { app, annSession } = await setUp();
    expect((await ask(app, "http://elsewhere.example.test/", { session: annSession })).status).toBe(403);
    expect((await call(app, VERIFY, { headers: { Cookie: `_my_session_id=${annSession}` } })).status).toBe(403);
  });

  test("networks: the client address as TRUST_PROXY determines it", async () => {
    const { app } = await setUp({ TRUST_PROXY: "1" });
    const from = (address: string) => ask(app, "http://intranet.example.test/", { headers: { "X-Forwarded-For": address } });
    expect((await from("10.1.2.3")).status).toBe(200);
    expect((await from("192.0.2.1, 10.1.2.3")).status).toBe(200);
    expect((await from("10.1.2.3, 192.0.2.1")).status).toBe(403);
    expect((await from("::ffff:10.9.9.9")).status).toBe(200);
    const untrusted = await setUp();
    expect((await ask(untrusted.app, "http://intranet.example.test/", { headers: { "X-Forwarded-For": "10.1.2.3" }, client: "192.0.2.7" })).status).toBe(403);
  });

  test("X-Forwarded-Method, -Host and -Uri (Caddy, Traefik) are read as X-Original-URL is", async () => {
    const { app } = await setUp({}, { default_policy: "one_factor", rules: [{ hosts: ["app.example.test"], methods: ["OPTIONS"], paths: ["/api"], policy: "bypass" }] });
    const forwarded = (method: string) => call(app, VERIFY, { headers: { "X-Forwarded-Method": method, "X-Forwarded-Host": "App.Example.Test:8080", "X-Forwarded-Uri": "/api/x?y" } });
    expect((await forwarded("OPTIONS")).status).toBe(200);
    expect((await forwarded("GET")).status).toBe(401);
  });

  test("a client's own header of the family its proxy does not write cannot name another request: 403", async () => {
    const { app, annSession } = await setUp();
    const forged = await ask(app, "http://app.example.test/secret", { session: annSession, headers: { "X-Forwarded-Host": "app.example.test", "X-Forwarded-Uri": "/api/health" } });
    expect([forged.status, identity(forged.headers)]).toEqual([403, []]);
    expect((await ask(app, "http://app.example.test/api/health", { headers: { "X-Forwarded-Uri": "/api/health" } })).status).toBe(200);
  });

  test("two_factor with a one-factor session: a browser goes to the login page with step_up=1 before rd; an API call gets 401; nobody signed in logs in as usual", async () => {
    const { app, annSession } = await setUp();
    const browser = await ask(app, "http://vault.example.test/k?x=1", { session: annSession, navigate: true });
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toBe(`http://auth.example.test/?step_up=1&rd=${encodeURIComponent("http://vault.example.test/k?x=1")}`);
    const api = await ask(app, "http://vault.example.test/k", { session: annSession });
    expect([api.status, api.json]).toEqual([401, { error: "Unauthorized: a second factor is needed here" }]);
    const nobody = await ask(app, "http://vault.example.test/k", { navigate: true });
    expect(nobody.headers.get("location")).toBe(`http://auth.example.test/?rd=${encodeURIComponent("http://vault.example.test/k")}`);
  });

  test("two_factor with a session that passed two factors (a password and a TOTP code; a passkey with user verification): 200 with the identity headers", async () => {
    const { app, ann } = await setUp();
    const sessions = app.auth!.sessionKeeper()!.sessions;
    for (const factors of [["password", "totp"], ["passkey_verified"]] as const) {
      const session = await sessions.create(ann.id, { factors });
      const answer = await ask(app, "http://vault.example.test/k", { session, navigate: true });
      expect([factors, answer.status, answer.headers.get("remote-user")]).toEqual([factors, 200, ann.id]);
      const page = await call(app, `/?rd=${encodeURIComponent("http://vault.example.test/k")}`, { headers: { Host: "auth.example.test", Cookie: `_my_session_id=${session}` } });
      expect(page.text).not.toContain("data-step-up");
    }
    const oneFactor = await sessions.create(ann.id, { factors: ["passkey"] });
    expect((await ask(app, "http://vault.example.test/k", { session: oneFactor })).status).toBe(401);
  });

  test("the login page does not send a one-factor session back to a two_factor address: it says a second factor is needed (none set up yet)", async () => {
    const { app, annSession } = await setUp();
    const rd = encodeURIComponent("http://vault.example.test/k");
    const page = (session?: string) => call(app, `/?step_up=1&rd=${rd}`, { headers: { Host: "auth.example.test", ...(session ? { Cookie: `_my_session_id=${session}` } : {}) } });
    expect((await page(annSession)).text).toContain('data-step-up="setup"');
    expect((await page()).text).not.toContain("data-step-up");
    const wiki = await call(app, `/?rd=${encodeURIComponent("http://app.example.test/")}`, { headers: { Host: "auth.example.test", Cookie: `_my_session_id=${annSession}` } });
    expect(wiki.text).not.toContain("data-step-up");
  });

  test("a new login over a session the browser still has ends that session", async () => {
    const { app, annSession } = await setUp();
    const again = await call(app, "/api/v1/auth_session/login", { form: { email: "ann@example.test", password: "pw-secret" }, headers: { Cookie: `_my_session_id=${annSession}` } });
    expect(again.status).toBe(200);
    expect((await ask(app, "http://app.example.test/", { session: annSession })).status).toBe(401);
    expect((await ask(app, "http://app.example.test/", { session: sessionIdFrom(again.headers) })).status).toBe(200);
  });

  test("the seed API's own routes keep their rules: the guard, not the access rules, answers them", async () => {
    const { app, annSession } = await setUp();
    expect((await call(app, "/api/v1/users/me", { headers: { Cookie: `_my_session_id=${annSession}` } })).status).toBe(200);
    expect((await call(app, "/api/v1/status")).status).toBe(200);
  });
});

describe("a bad rules file stops start-up with one line naming the file, the rule and the field", () => {
  const cases: [string, string, RegExp][] = [
    ["rules.json", JSON.stringify({ rules: [{ policy: "deny" }, { paths: ["admin"], policy: "deny" }] }), /^ACCESS_RULES \S+rules\.json: rule #2, paths\[0\]: "admin" must be a path prefix/],
    ["rules.yaml", "default_policy: deny\nrules:\n  - hosts: [a.example.test]\n    policy: deny\n    subject: [user:a@b.c]\n", /^ACCESS_RULES \S+rules\.yaml: rule #1, subject: unknown key/],
    ["missing.yaml", "", /^ACCESS_RULES \S+absent\.yaml: cannot be read: ENOENT$/],
  ];
  test.each(cases)("%s", (name, text, expected) => {
    const dir = tempDir();
    const file = join(dir, name);
    if (name !== "missing.yaml") writeFileSync(file, text);
    let error: unknown;
    try {
      testApp({ AUTH_TYPE: "session_auth", ACCESS_RULES: name === "missing.yaml" ? join(dir, "absent.yaml") : file }, { dataDir: dir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(expected);
    expect((error as Error).message).not.toContain("\n");
  });
});
