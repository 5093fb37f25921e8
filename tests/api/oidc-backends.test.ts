/**
 * Identity links on every backend, through real sign-ins at oidc-provider: two first sign-ins
 * of one identity at once make one user and one link; a deleted user's link goes with them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { App } from "../../src/app/compose.ts";
import { type LocalProvider, signInAtProvider, startLocalProvider } from "../fixtures/oidc-provider.ts";
import { available, BACKENDS, on } from "../helpers.ts";

const PUBLIC = "http://auth.test";
let provider: LocalProvider;

beforeAll(async () => {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
  const { key_ops: _ops, ext: _ext, ...jwk } = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as Record<string, unknown>;
  provider = await startLocalProvider({
    keys: [{ ...jwk, kid: "ed-1", alg: "EdDSA", use: "sig" }],
    clientId: "client-op",
    clientSecret: "op-secret",
    redirectUri: `${PUBLIC}/api/v1/auth_session/oidc/op/callback`,
    idTokenAlg: "EdDSA",
    accounts: { mia: { email: "mia@example.com", email_verified: true } },
  });
});
afterAll(() => provider?.stop());

/** The login step and the provider's pages: the callback URL and this browser's state cookie, not yet used. */
async function upToCallback(app: App) {
  const login = await app.handle(new Request(`${PUBLIC}/api/v1/auth_session/oidc/op/login`, { headers: { host: "auth.test" } }), "127.0.0.1");
  const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
  return { url: await signInAtProvider(login.headers.get("location")!, "mia"), cookie };
}

async function finish(app: App, { url, cookie }: { url: string; cookie: string }) {
  const response = await app.handle(new Request(url, { headers: { host: "auth.test", cookie } }), "127.0.0.1");
  const session = response.headers.getSetCookie().find((line) => line.startsWith("_my_session_id="))?.split(";")[0]?.slice(15) ?? null;
  return { status: response.status, session };
}

async function get(app: App, path: string, session: string) {
  const response = await app.handle(new Request(`${PUBLIC}${path}`, { headers: { cookie: `_my_session_id=${session}` } }), "127.0.0.1");
  return (await response.json()) as any;
}

for (const backend of BACKENDS.filter((each) => each !== "postgres+redis")) {
  describe.skipIf(!available(backend))(`identity links on ${backend}`, () => {
    const backendApps = on(backend);
    afterAll(() => backendApps.closeApps());

    test("two first sign-ins at once: one user, one link, both signed in as it", async () => {
      const app = backendApps.testApp({ AUTH_TYPE: "session_db_auth", PUBLIC_URL: PUBLIC, OIDC_PROVIDERS: "op", OIDC_OP_ISSUER: provider.issuer, OIDC_OP_CLIENT_ID: "client-op", OIDC_OP_CLIENT_SECRET: "op-secret", OIDC_OP_CREATE_USERS: "1" });
      const [a, b] = [await upToCallback(app), await upToCallback(app)];
      const [first, second] = await Promise.all([finish(app, a), finish(app, b)]);
      expect([first.status, second.status]).toEqual([302, 302]);
      const [userA, userB] = [await get(app, "/api/v1/users/me", first.session!), await get(app, "/api/v1/users/me", second.session!)];
      expect(userA.id).toBe(userB.id);
      expect((await get(app, "/api/v1/users", first.session!)).filter((user: any) => user.email === "mia@example.com")).toHaveLength(1);
      expect(await get(app, "/api/v1/auth_session/identities", first.session!)).toHaveLength(1);

      // The user deleted: the link goes with them, and the next sign-in is a first one again.
      const deleted = await app.handle(new Request(`${PUBLIC}/api/v1/users/${userA.id}`, { method: "DELETE", headers: { cookie: `_my_session_id=${first.session}` } }), "127.0.0.1");
      expect(deleted.status).toBe(200);
      const again = await finish(app, await upToCallback(app));
      expect(again.status).toBe(302);
      const fresh = await get(app, "/api/v1/users/me", again.session!);
      expect(fresh.id).not.toBe(userA.id);
      expect(await get(app, "/api/v1/auth_session/identities", again.session!)).toEqual([expect.objectContaining({ subject: "mia" })]);
    });
  });
}
