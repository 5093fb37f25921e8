/**
 * Sign-in with OpenID Connect against panva's oidc-provider, a certified provider, run on
 * 127.0.0.1: every accepted algorithm, a key rotation, replayed state and code, RFC 9207's iss,
 * the provider's error, the linking rules, and a provider that hangs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FakeClock, legacyUser, seedUsers, tempDir, testApp } from "../helpers.ts";
import { type LocalProvider, signInAtProvider, startLocalProvider } from "../fixtures/oidc-provider.ts";
import type { App } from "../../src/app/compose.ts";

const PUBLIC = "http://auth.test";
const CAROL = "00000000-0000-4000-8000-00000000000c";
const ALGORITHMS = { rs: "RS256", ps: "PS256", es: "ES256", ed: "EdDSA" } as const;
type Name = keyof typeof ALGORITHMS;

const GENERATE: Record<string, any> = {
  RS256: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  PS256: { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  ES256: { name: "ECDSA", namedCurve: "P-256" },
  EdDSA: { name: "Ed25519" },
};

async function privateJwk(alg: string, kid: string): Promise<Record<string, unknown>> {
  const pair = (await crypto.subtle.generateKey(GENERATE[alg], true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as Record<string, unknown>;
  delete jwk.key_ops;
  delete jwk.ext;
  return { ...jwk, kid, alg, use: "sig" };
}

const accounts = {
  alice: { email: "alice@example.com", email_verified: true, given_name: "Alice", groups: ["staff"] },
  paul: { email: "paul@example.net", email_verified: true },
  erin: { email: "erin@corp.example", email_verified: true },
  zed: { email: "zed@other.example", email_verified: true },
  grace: { email: "grace@example.org", email_verified: true, groups: ["admins"] },
  frank: { email: "frank@example.org", email_verified: true, groups: ["staff"] },
  bob: { email: "bob@example.com", email_verified: false },
  carol: { email: "carol@example.com", email_verified: true },
  audrey: { email: "audrey@example.net", email_verified: true },
};

const providers = {} as Record<Name, LocalProvider>;
const keys = {} as Record<Name, Record<string, unknown>>;
const clock = new FakeClock(Date.now());
let app: App;
let dataDir: string;
let hanging: ReturnType<typeof Bun.serve>;

function providerEnv(name: string, issuer: string, extra: Record<string, string> = {}): Record<string, string> {
  const upper = name.toUpperCase();
  return { [`OIDC_${upper}_ISSUER`]: issuer, [`OIDC_${upper}_CLIENT_ID`]: `client-${name}`, [`OIDC_${upper}_CLIENT_SECRET`]: `secret ${name}:+/=`, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`OIDC_${upper}_${k}`, v])) };
}

function startProvider(name: Name, keyList: Record<string, unknown>[], port?: number) {
  const closed: [string, string, string][] = name === "rs" ? [["client-closed", "secret closed:+/=", `${PUBLIC}/api/v1/auth_session/oidc/closed/callback`]] : [];
  return startLocalProvider({ keys: keyList, clientId: `client-${name}`, clientSecret: `secret ${name}:+/=`, redirectUri: `${PUBLIC}/api/v1/auth_session/oidc/${name}/callback`, idTokenAlg: ALGORITHMS[name], accounts, port, moreClients: closed });
}

beforeAll(async () => {
  for (const [name, alg] of Object.entries(ALGORITHMS) as [Name, string][]) {
    keys[name] = await privateJwk(alg, `${name}-1`);
    providers[name] = await startProvider(name, [keys[name]]);
  }
  hanging = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) });
  dataDir = tempDir();
  await seedUsers(dataDir, [legacyUser("carol@example.com", "carol-password", CAROL), legacyUser("dave@example.com", "dave-password", "00000000-0000-4000-8000-00000000000d")]);
  app = testApp(
    {
      AUTH_TYPE: "session_db_auth",
      PUBLIC_URL: PUBLIC,
      STORE_TIMEOUT_MS: "1500",
      AUDIT_LOG: join(dataDir, "audit.log"),
      OIDC_PROVIDERS: "rs,ps,es,ed,closed,hang",
      ...providerEnv("rs", providers.rs.issuer, { CREATE_USERS: "1", LINK_BY_EMAIL: "1", LABEL: "Example RSA", SCOPES: "openid email profile groups" }),
      ...providerEnv("ps", providers.ps.issuer, { CREATE_USERS: "1" }),
      ...providerEnv("es", providers.es.issuer, { CREATE_USERS: "1", ALLOWED_DOMAINS: "corp.example" }),
      ...providerEnv("ed", providers.ed.issuer, { CREATE_USERS: "1", SCOPES: "openid email profile groups", ALLOWED_GROUPS: "admins" }),
      // The same provider as rs, under another client with nothing allowed.
      ...providerEnv("closed", providers.rs.issuer),
      ...providerEnv("hang", `http://127.0.0.1:${hanging.port}`),
    },
    { dataDir, clock },
  );
});

afterAll(async () => {
  await app?.close();
  hanging?.stop(true);
  await Promise.all(Object.values(providers).map((provider) => provider.stop()));
});

const browserHeaders = { host: "auth.test", "user-agent": "TestBrowser/1.0" };

/** The login step: the provider's URL and the state cookie. */
async function startSignIn(name: string, rd?: string) {
  const query = rd === undefined ? "" : `?rd=${encodeURIComponent(rd)}`;
  const response = await app.handle(new Request(`${PUBLIC}/api/v1/auth_session/oidc/${name}/login${query}`, { headers: browserHeaders }), "127.0.0.1");
  expect(response.status).toBe(302);
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith("_my_session_id_oidc="))!;
  expect(cookie).toContain("HttpOnly");
  expect(cookie).toContain("Max-Age=600");
  expect(cookie).toContain("Path=/api/v1/auth_session/oidc/");
  return { location: response.headers.get("location")!, stateCookie: cookie.split(";")[0]! };
}

async function callback(url: string, stateCookie: string | null) {
  const headers: Record<string, string> = { ...browserHeaders };
  if (stateCookie !== null) headers.cookie = stateCookie;
  const response = await app.handle(new Request(url, { headers }), "127.0.0.1");
  const sessionCookie = response.headers.getSetCookie().find((line) => line.startsWith("_my_session_id="));
  return { response, text: await response.text(), session: sessionCookie?.split(";")[0]?.slice("_my_session_id=".length) || null };
}

async function signIn(name: string, account: string, rd?: string) {
  const { location, stateCookie } = await startSignIn(name, rd);
  const back = await signInAtProvider(location, account);
  return { back, stateCookie, ...(await callback(back, stateCookie)) };
}

async function me(session: string) {
  const response = await app.handle(new Request(`${PUBLIC}/api/v1/users/me`, { headers: { cookie: `_my_session_id=${session}` } }), "127.0.0.1");
  return { status: response.status, body: (await response.json()) as any };
}

async function api(path: string, session: string) {
  const response = await app.handle(new Request(`${PUBLIC}${path}`, { headers: { cookie: `_my_session_id=${session}` } }), "127.0.0.1");
  return (await response.json()) as any;
}

describe("the login step", () => {
  test("302 to the authorization endpoint with code, PKCE S256, state and nonce", async () => {
    const { location, stateCookie } = await startSignIn("rs");
    const url = new URL(location);
    expect(url.origin).toBe(providers.rs.issuer);
    const q = url.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("client_id")).toBe("client-rs");
    expect(q.get("redirect_uri")).toBe(`${PUBLIC}/api/v1/auth_session/oidc/rs/callback`);
    expect(q.get("scope")).toBe("openid email profile groups");
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stateCookie).toBe(`_my_session_id_oidc=${q.get("state")}`);
  });

  test("an unknown provider is a 404 page", async () => {
    const response = await app.handle(new Request(`${PUBLIC}/api/v1/auth_session/oidc/nope/login`, { headers: browserHeaders }), "127.0.0.1");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("text/html");
  });
});

describe("sign-in with each algorithm", () => {
  const cases = [
    ["rs", "alice", "alice@example.com"],
    ["ps", "paul", "paul@example.net"],
    ["es", "erin", "erin@corp.example"],
    ["ed", "grace", "grace@example.org"],
  ] as const;
  for (const [name, account, email] of cases) {
    test(`${ALGORITHMS[name]}: a new user is created, signed in, and sent to the checked rd`, async () => {
      const result = await signIn(name, account, "http://auth.test/after?x=1");
      expect([result.response.status, result.text]).toEqual([302, ""]);
      expect(result.response.headers.get("location")).toBe("http://auth.test/after?x=1");
      expect(result.session).not.toBeNull();
      const user = await me(result.session!);
      expect(user.status).toBe(200);
      // The email came from UserInfo: oidc-provider keeps scope claims out of the ID token.
      expect(user.body.email).toBe(email);
      const sessions = await api("/api/v1/auth_session/sessions", result.session!);
      expect(sessions.find((each: any) => each.current).factors).toEqual(["oidc"]);
      const links = await api("/api/v1/auth_session/identities", result.session!);
      expect(links).toEqual([expect.objectContaining({ provider: name, issuer: providers[name].issuer, subject: account, email })]);
    });
  }

  test("the audit trail: a first sign-in is factor.added, user.created and login.ok; a refused one login.failed", async () => {
    const events = () => {
      app.audit.flush();
      return readFileSync(join(dataDir, "audit.log"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    };
    const before = events().length;
    const result = await signIn("ps", "audrey");
    const userId = (await me(result.session!)).body.id;
    const added = events().slice(before);
    expect(added.map((line) => [line.event, line.user_id])).toEqual([
      // The link is stored before the user it names.
      ["factor.added", userId],
      ["user.created", userId],
      ["login.ok", userId],
    ]);
    expect(added[2]).toMatchObject({ method: "oidc", provider: "ps", factors: "oidc", user_agent: "TestBrowser/1.0" });
    const refused = await signIn("closed", "zed");
    expect(refused.session).toBeNull();
    expect(events().at(-1)).toMatchObject({ event: "login.failed", method: "oidc", provider: "closed" });
  });

  test("ALLOWED_DOMAINS keeps an address outside them from creating a user (403 page, no session)", async () => {
    const result = await signIn("es", "zed");
    expect(result.response.status).toBe(403);
    expect(result.text).toContain("This account is not allowed here");
    expect(result.text).toContain("corp.example");
    expect(result.session).toBeNull();
  });

  test("ALLOWED_GROUPS keeps someone outside them from creating a user", async () => {
    const result = await signIn("ed", "frank");
    expect(result.response.status).toBe(403);
    expect(result.text).toContain("admins");
    expect(result.session).toBeNull();
  });

  test("an identity whose verified email is another account's, without LINK_BY_EMAIL, is refused", async () => {
    const result = await signIn("ps", "alice");
    expect(result.response.status).toBe(403);
    expect(result.text).toContain("an account with this email exists");
  });

  test("a rd on a host not allowed is dropped: the browser goes to /", async () => {
    const result = await signIn("rs", "alice", "https://evil.example/");
    expect(result.response.status).toBe(302);
    expect(result.response.headers.get("location")).toBe("/");
  });

  test("a second sign-in finds the same user by (issuer, subject)", async () => {
    const first = await me((await signIn("rs", "alice")).session!);
    const second = await me((await signIn("rs", "alice")).session!);
    expect(second.body.id).toBe(first.body.id);
  });
});

describe("replays and forgeries", () => {
  test("a state is used once: the same callback again is a 400 page", async () => {
    const first = await signIn("ps", "paul");
    expect(first.response.status).toBe(302);
    const again = await callback(first.back, first.stateCookie);
    expect(again.response.status).toBe(400);
    expect(again.text).toContain("expired or was started in another browser");
    expect(again.session).toBeNull();
  });

  test("a code is used once: an old code under a new state is refused by the provider (400 page)", async () => {
    const first = await signIn("ps", "paul");
    const code = new URL(first.back).searchParams.get("code")!;
    const { location, stateCookie } = await startSignIn("ps");
    const state = new URL(location).searchParams.get("state")!;
    const forged = new URL(first.back);
    forged.searchParams.set("state", state);
    forged.searchParams.set("code", code);
    const result = await callback(forged.href, stateCookie);
    expect(result.response.status).toBe(400);
    expect(result.session).toBeNull();
  });

  test("a callback from a browser that did not start the sign-in (no state cookie, or another one) is a 400 page", async () => {
    const { location } = await startSignIn("rs");
    const back = await signInAtProvider(location, "alice");
    expect((await callback(back, null)).response.status).toBe(400);
    const other = await startSignIn("rs");
    const mixed = await callback(back, other.stateCookie);
    expect(mixed.response.status).toBe(400);
    expect(mixed.session).toBeNull();
  });

  test("RFC 9207: an iss parameter naming another issuer is a 400 page; one missing from a provider that sends it too", async () => {
    const { location, stateCookie } = await startSignIn("rs");
    const back = new URL(await signInAtProvider(location, "alice"));
    expect(back.searchParams.get("iss")).toBe(providers.rs.issuer);
    const wrong = new URL(back);
    wrong.searchParams.set("iss", "http://evil.example");
    expect((await callback(wrong.href, stateCookie)).response.status).toBe(400);
    const again = await startSignIn("rs");
    const back2 = new URL(await signInAtProvider(again.location, "alice"));
    back2.searchParams.delete("iss");
    const missing = await callback(back2.href, again.stateCookie);
    expect(missing.response.status).toBe(400);
    expect(missing.text).toContain("issuer");
  });

  test("the provider's error (access_denied) is a plain 403 page, never a 500", async () => {
    const { location, stateCookie } = await startSignIn("rs");
    const state = new URL(location).searchParams.get("state")!;
    const url = `${PUBLIC}/api/v1/auth_session/oidc/rs/callback?error=access_denied&error_description=${encodeURIComponent("The user <b>said no</b>")}&state=${state}&iss=${encodeURIComponent(providers.rs.issuer)}`;
    const result = await callback(url, stateCookie);
    expect(result.response.status).toBe(403);
    expect(result.text).toContain("access_denied");
    expect(result.text).not.toContain("<b>");
  });
});

describe("linking", () => {
  test("LINK_BY_EMAIL links the account whose email the provider verified", async () => {
    const result = await signIn("rs", "carol");
    expect(result.response.status).toBe(302);
    expect((await me(result.session!)).body.id).toBe(CAROL);
    // The password still works for carol: linking changed nothing of the account.
    const login = await app.handle(new Request(`${PUBLIC}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: "carol@example.com", password: "carol-password" }) }), "127.0.0.1");
    expect(login.status).toBe(200);
  });

  test("an unverified email never links, even with LINK_BY_EMAIL: a new user is made without it", async () => {
    await seedUsersLater("bob@example.com");
    const result = await signIn("rs", "bob");
    expect(result.response.status).toBe(302);
    const user = await me(result.session!);
    expect(user.body.id).not.toBe("00000000-0000-4000-8000-00000000000b");
    expect(user.body.email).toBeNull();
  });

  test("without CREATE_USERS or LINK_BY_EMAIL, an unknown identity gets the 403 page", async () => {
    const result = await signIn("closed", "zed");
    expect(result.response.status).toBe(403);
    expect(result.text).toContain("This account is not allowed here");
    expect(result.session).toBeNull();
  });

  test("a user made by a provider has no password: the login form says so", async () => {
    const result = await signIn("ps", "paul");
    const email = (await me(result.session!)).body.email;
    const login = await app.handle(new Request(`${PUBLIC}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email, password: "anything at all" }) }), "127.0.0.1");
    expect(login.status).toBe(401);
    expect(((await login.json()) as any).error).toBe("this account has no password: sign in with its provider");
  });
});

async function seedUsersLater(email: string) {
  const response = await app.handle(
    new Request(`${PUBLIC}/api/v1/users`, { method: "POST", headers: { "content-type": "application/json", cookie: `_my_session_id=${(await signIn("rs", "alice")).session}` }, body: JSON.stringify({ email, password: "bob-password-1" }) }),
    "127.0.0.1",
  );
  expect(response.status).toBe(201);
}

describe("key rotation", () => {
  test("a new key is fetched when a token names it, at most once a minute", async () => {
    expect((await signIn("es", "erin")).response.status).toBe(302);
    // The provider rotates to a new key, keeping its issuer.
    await providers.es.stop();
    const rotated = await privateJwk("ES256", "es-2");
    providers.es = await startProvider("es", [rotated, keys.es], providers.es.port);
    // Within a minute of the last JWKS fetch: the unknown kid is not fetched again.
    const early = await signIn("es", "erin");
    expect(early.response.status).toBe(401);
    expect(early.session).toBeNull();
    clock.advance(61);
    const later = await signIn("es", "erin");
    expect(later.response.status).toBe(302);
    expect((await me(later.session!)).body.email).toBe("erin@corp.example");
  });
});

describe("a provider that fails", () => {
  test("one that hangs gives a 504 page within the bound", async () => {
    const started = performance.now();
    const response = await app.handle(new Request(`${PUBLIC}/api/v1/auth_session/oidc/hang/login`, { headers: browserHeaders }), "127.0.0.1");
    expect(response.status).toBe(504);
    expect(await response.text()).toContain("did not answer in time");
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
