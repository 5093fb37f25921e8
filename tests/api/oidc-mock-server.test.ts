/**
 * The ID token checks against oauth2-mock-server, a second independent provider: the ID token
 * of its token response is replaced per test with one made for the case (a payload changed
 * under its signature, another nonce, another audience, expired, `none`, HMAC, an `amr` saying
 * MFA), and each must end as OpenID Connect Core §3.1.3.7 says: a 401 page and no session, or
 * a session proving what the provider said.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { OAuth2Server } from "oauth2-mock-server";
import { encodeBase64Url } from "../../src/auth/providers/base64url.ts";
import type { App } from "../../src/app/compose.ts";
import { encodePart, makeKey, signToken, type TestKey } from "../auth/providers/fixtures/keys.ts";
import { tempDir, testApp } from "../helpers.ts";

const PUBLIC = "http://auth.test";
const server = new OAuth2Server();
let key: TestKey;
let app: App;
let issuer: string;
/** What the UserInfo endpoint says; a test may change it. */
let userinfo: Record<string, unknown> = { sub: "johndoe", email: "john@example.com", email_verified: true };

beforeAll(async () => {
  key = await makeKey("RS256", "mock-1");
  await server.issuer.keys.add(key.privateJwk as any);
  await server.start(0, "127.0.0.1");
  issuer = server.issuer.url!;
  server.service.on("beforeUserinfo", (response: { body: Record<string, unknown> }) => {
    response.body = userinfo;
  });
  app = testApp({ AUTH_TYPE: "session_db_auth", PUBLIC_URL: PUBLIC, OIDC_PROVIDERS: "mock", OIDC_MOCK_ISSUER: issuer, OIDC_MOCK_CLIENT_ID: "client-mock", OIDC_MOCK_CLIENT_SECRET: "mock-secret", OIDC_MOCK_CREATE_USERS: "1" }, { dataDir: tempDir() });
});

afterAll(async () => {
  await app?.close();
  await server.stop();
});

type Claims = Record<string, unknown>;

/**
 * One sign-in, the token response's ID token replaced by `make(claims)`, where `claims` are
 * what a good token for this login says (the nonce is read from the authorization request).
 */
async function signIn(make: ((good: Claims) => Promise<string>) | null = null, mutate: ((body: Record<string, unknown>) => void) | null = null) {
  const headers = { host: "auth.test" };
  const login = await app.handle(new Request(`${PUBLIC}/api/v1/auth_session/oidc/mock/login`, { headers }), "127.0.0.1");
  expect(login.status).toBe(302);
  const location = login.headers.get("location")!;
  const stateCookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
  const now = Math.floor(Date.now() / 1000);
  const good: Claims = { iss: issuer, sub: "johndoe", aud: "client-mock", nonce: new URL(location).searchParams.get("nonce"), iat: now, exp: now + 300 };
  const replacement = make === null ? null : await make(good);
  const listener = (response: { body: Record<string, unknown> }) => {
    if (replacement !== null) response.body.id_token = replacement;
    mutate?.(response.body);
  };
  server.service.once("beforeResponse", listener);
  try {
    const authorize = await fetch(location, { redirect: "manual" });
    const back = authorize.headers.get("location")!;
    expect(back.startsWith(`${PUBLIC}/api/v1/auth_session/oidc/mock/callback?`)).toBe(true);
    const response = await app.handle(new Request(back, { headers: { ...headers, cookie: stateCookie } }), "127.0.0.1");
    const session = response.headers.getSetCookie().find((line) => line.startsWith("_my_session_id="))?.split(";")[0]?.slice("_my_session_id=".length) || null;
    return { status: response.status, text: await response.text(), session };
  } finally {
    server.service.removeListener("beforeResponse", listener);
  }
}

async function factorsOf(session: string) {
  const response = await app.handle(new Request(`${PUBLIC}/api/v1/auth_session/sessions`, { headers: { cookie: `_my_session_id=${session}` } }), "127.0.0.1");
  return ((await response.json()) as any[]).find((each) => each.current).factors;
}

const signed = (changes: Claims) => (good: Claims) => signToken(key, { ...good, ...changes });

describe("oauth2-mock-server's own token", () => {
  test("signs in (the email from UserInfo, whose sub matches)", async () => {
    const result = await signIn();
    expect(result.status).toBe(302);
    expect(result.session).not.toBeNull();
    expect(await factorsOf(result.session!)).toEqual(["oidc"]);
  });
});

describe("Core §3.1.3.7 against a real token response", () => {
  test("a good token made here with the provider's key signs in (the harness itself works)", async () => {
    const result = await signIn(signed({}));
    expect(result.status).toBe(302);
  });

  test("steps 6–8: a payload changed under its signature is refused", async () => {
    const result = await signIn(async (good) => {
      const [header, , signature] = (await signToken(key, good)).split(".");
      return `${header}.${encodePart({ ...good, sub: "someone-else" })}.${signature}`;
    });
    expect(result.status).toBe(401);
    expect(result.text).toContain("signature does not verify");
    expect(result.session).toBeNull();
  });

  test("step 7/8: alg none and HS256 (signed with the client secret) are refused", async () => {
    const none = await signIn(async (good) => `${encodePart({ alg: "none" })}.${encodePart(good)}.`);
    expect(none.status).toBe(401);
    const hmac = await signIn(async (good) => {
      const input = `${encodePart({ alg: "HS256", kid: "mock-1" })}.${encodePart(good)}`;
      const secret = await crypto.subtle.importKey("raw", new TextEncoder().encode("mock-secret"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      return `${input}.${encodeBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", secret, new TextEncoder().encode(input))))}`;
    });
    expect(hmac.status).toBe(401);
    expect(hmac.session).toBeNull();
  });

  test("step 6: a token signed by a key the provider does not publish is refused", async () => {
    const stranger = await makeKey("RS256", "mock-1");
    const result = await signIn(async (good) => signToken(stranger, good));
    expect(result.status).toBe(401);
  });

  test("step 11: a wrong nonce is refused", async () => {
    const result = await signIn(signed({ nonce: "another-login" }));
    expect(result.status).toBe(401);
    expect(result.text).toContain("nonce");
  });

  test("step 3: a wrong aud is refused", async () => {
    const result = await signIn(signed({ aud: "another-client" }));
    expect(result.status).toBe(401);
    expect(result.text).toContain("another client");
  });

  test("steps 4 and 5: several audiences need azp, and azp must be us", async () => {
    expect((await signIn(signed({ aud: ["client-mock", "api"] }))).status).toBe(401);
    expect((await signIn(signed({ aud: ["client-mock", "api"], azp: "api" }))).status).toBe(401);
    expect((await signIn(signed({ aud: ["client-mock", "api"], azp: "client-mock" }))).status).toBe(302);
  });

  test("step 2: another issuer is refused", async () => {
    expect((await signIn(signed({ iss: "http://127.0.0.1:1" }))).status).toBe(401);
  });

  test("step 9: an expired token is refused beyond the 60 s leeway, accepted within it", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await signIn(signed({ iat: now - 600, exp: now - 120 }));
    expect(expired.status).toBe(401);
    expect(expired.text).toContain("expired");
    expect((await signIn(signed({ iat: now - 600, exp: now - 30 }))).status).toBe(302);
  });

  test("step 10: a token issued in the future is refused", async () => {
    expect((await signIn(signed({ iat: Math.floor(Date.now() / 1000) + 600 }))).status).toBe(401);
  });

  test("an amr saying MFA makes a session that proves oidc_mfa", async () => {
    const result = await signIn(signed({ amr: ["pwd", "otp"] }));
    expect(result.status).toBe(302);
    expect(await factorsOf(result.session!)).toEqual(["oidc_mfa"]);
  });
});

describe("the rest of the token and UserInfo answers", () => {
  test("a token response without an ID token, or not of type Bearer, is the provider's failure: a 502 page", async () => {
    expect((await signIn(null, (body) => delete body.id_token)).status).toBe(502);
    expect((await signIn(null, (body) => (body.token_type = "mac"))).status).toBe(502);
  });

  test("§5.3.2: a UserInfo answer about another subject is refused", async () => {
    const saved = userinfo;
    userinfo = { sub: "someone-else", email: "victim@example.com", email_verified: true };
    try {
      const result = await signIn();
      expect(result.status).toBe(401);
      expect(result.session).toBeNull();
    } finally {
      userinfo = saved;
    }
  });
});
