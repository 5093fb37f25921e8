/**
 * The GitHub preset against a local stand-in of GitHub: its OAuth endpoints under
 * OIDC_<NAME>_API_URL and the two API calls (`/user`, `/user/emails`), answering as GitHub
 * documents (errors of the token endpoint with 200 and an `error`).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { codeChallenge } from "../../src/auth/providers/pkce.ts";
import type { App } from "../../src/app/compose.ts";
import { tempDir, testApp } from "../helpers.ts";

const PUBLIC = "http://auth.test";
/** Codes the stand-in issued: code → the PKCE challenge and whether it was used. */
const codes = new Map<string, { challenge: string; used: boolean }>();
let emails: unknown = [
  { email: "octo@users.noreply.github.com", primary: false, verified: true },
  { email: "octo@example.com", primary: true, verified: true },
  { email: "unverified@example.com", primary: false, verified: false },
];
const requests: { path: string; authorization: string | null; userAgent: string | null; body?: URLSearchParams }[] = [];

const github = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/login/oauth/authorize") {
      const code = crypto.randomUUID();
      codes.set(code, { challenge: url.searchParams.get("code_challenge")!, used: false });
      const back = new URL(url.searchParams.get("redirect_uri")!);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state")!);
      return new Response(null, { status: 302, headers: { Location: back.href } });
    }
    if (url.pathname === "/login/oauth/access_token") {
      const body = new URLSearchParams(await request.text());
      requests.push({ path: url.pathname, authorization: null, userAgent: request.headers.get("user-agent"), body });
      const entry = codes.get(body.get("code") ?? "");
      if (body.get("client_id") !== "gh-client" || body.get("client_secret") !== "gh-secret") return Response.json({ error: "incorrect_client_credentials" });
      if (entry === undefined || entry.used || entry.challenge !== (await codeChallenge(body.get("code_verifier") ?? ""))) return Response.json({ error: "bad_verification_code" });
      entry.used = true;
      return Response.json({ access_token: "gho_test", token_type: "bearer", scope: "read:user,user:email" });
    }
    requests.push({ path: url.pathname, authorization: request.headers.get("authorization"), userAgent: request.headers.get("user-agent") });
    if (request.headers.get("authorization") !== "Bearer gho_test") return Response.json({ message: "Bad credentials" }, { status: 401 });
    if (url.pathname === "/user") return Response.json({ login: "octocat", id: 583231, name: "The Octocat" });
    if (url.pathname === "/user/emails") return Response.json(emails);
    return new Response("not found", { status: 404 });
  },
});

let app: App;
beforeAll(() => {
  app = testApp({ AUTH_TYPE: "session_db_auth", PUBLIC_URL: PUBLIC, OIDC_PROVIDERS: "github", OIDC_GITHUB_ISSUER: "github", OIDC_GITHUB_CLIENT_ID: "gh-client", OIDC_GITHUB_CLIENT_SECRET: "gh-secret", OIDC_GITHUB_API_URL: github.url.href, OIDC_GITHUB_CREATE_USERS: "1" }, { dataDir: tempDir() });
});
afterAll(async () => {
  await app?.close();
  github.stop(true);
});

async function signIn() {
  const login = await app.handle(new Request(`${PUBLIC}/api/v1/auth_session/oidc/github/login`, { headers: { host: "auth.test" } }), "127.0.0.1");
  expect(login.status).toBe(302);
  const location = new URL(login.headers.get("location")!);
  const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
  const back = (await fetch(location, { redirect: "manual" })).headers.get("location")!;
  const response = await app.handle(new Request(back, { headers: { host: "auth.test", cookie } }), "127.0.0.1");
  const session = response.headers.getSetCookie().find((line) => line.startsWith("_my_session_id="))?.split(";")[0]?.slice(15) || null;
  return { location, back, cookie, status: response.status, text: await response.text(), session };
}

test("the OAuth endpoints follow API_URL, with PKCE S256 and the scopes GitHub needs", async () => {
  const { location } = await signIn();
  expect(location.origin + location.pathname).toBe(`${github.url.origin}/login/oauth/authorize`);
  expect(location.searchParams.get("scope")).toBe("read:user user:email");
  expect(location.searchParams.get("code_challenge_method")).toBe("S256");
});

test("a sign-in creates a user with the primary verified email, linked by GitHub's numeric id", async () => {
  const first = await signIn();
  expect(first.status).toBe(302);
  const me = await app.handle(new Request(`${PUBLIC}/api/v1/users/me`, { headers: { cookie: `_my_session_id=${first.session}` } }), "127.0.0.1");
  const user = (await me.json()) as any;
  expect(user.email).toBe("octo@example.com");
  expect(user.first_name).toBe("The Octocat");
  const links = (await (await app.handle(new Request(`${PUBLIC}/api/v1/auth_session/identities`, { headers: { cookie: `_my_session_id=${first.session}` } }), "127.0.0.1")).json()) as any[];
  expect(links).toEqual([expect.objectContaining({ provider: "github", subject: "583231" })]);
  // The API was called with the token and a User-Agent, as GitHub requires.
  expect(requests.filter((r) => r.path === "/user").every((r) => r.authorization === "Bearer gho_test" && r.userAgent === "session-auth")).toBe(true);
  // A second sign-in, with the primary address changed meanwhile, is the same user.
  emails = [{ email: "new@example.com", primary: true, verified: true }];
  const second = await signIn();
  const again = (await (await app.handle(new Request(`${PUBLIC}/api/v1/users/me`, { headers: { cookie: `_my_session_id=${second.session}` } }), "127.0.0.1")).json()) as any;
  expect(again.id).toBe(user.id);
});

test("a used code (GitHub's 200 with bad_verification_code) is a 400 page, no session", async () => {
  const first = await signIn();
  const login = await app.handle(new Request(`${PUBLIC}/api/v1/auth_session/oidc/github/login`, { headers: { host: "auth.test" } }), "127.0.0.1");
  const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
  const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
  const replay = new URL(first.back);
  replay.searchParams.set("state", state);
  const response = await app.handle(new Request(replay.href, { headers: { host: "auth.test", cookie } }), "127.0.0.1");
  expect(response.status).toBe(400);
  expect(response.headers.getSetCookie().some((line) => line.startsWith("_my_session_id="))).toBe(false);
});

test("an API that answers with an error is a 502 page", async () => {
  const saved = emails;
  emails = { message: "not a list" };
  try {
    const result = await signIn();
    expect(result.status).toBe(502);
    expect(result.session).toBeNull();
  } finally {
    emails = saved;
  }
});

test("callbacks are throttled per client as password logins are: past the limit, a 429 page with Retry-After", async () => {
  const strict = testApp({ AUTH_TYPE: "session_auth", PUBLIC_URL: PUBLIC, LOGIN_MAX_FAILURES_PER_CLIENT: "2", OIDC_PROVIDERS: "github", OIDC_GITHUB_ISSUER: "github", OIDC_GITHUB_CLIENT_ID: "gh-client", OIDC_GITHUB_CLIENT_SECRET: "gh-secret", OIDC_GITHUB_API_URL: github.url.href }, { dataDir: tempDir() });
  try {
    const forged = () => strict.handle(new Request(`${PUBLIC}/api/v1/auth_session/oidc/github/callback?code=x&state=y`, { headers: { host: "auth.test", cookie: "_my_session_id_oidc=y" } }), "192.0.2.7");
    expect((await forged()).status).toBe(400);
    expect((await forged()).status).toBe(400);
    const refused = await forged();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("content-type")).toContain("text/html");
    // Another client is not affected.
    const other = await strict.handle(new Request(`${PUBLIC}/api/v1/auth_session/oidc/github/callback?code=x&state=y`, { headers: { host: "auth.test" } }), "192.0.2.8");
    expect(other.status).toBe(400);
  } finally {
    await strict.close();
  }
});
