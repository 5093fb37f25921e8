/**
 * Passkeys through the API, on every backend: registering, listing, renaming, removing; signing
 * in with a passkey alone; a passkey as the second factor after the password; and the refusals
 * of WebAuthn Level 3 §7.1/§7.2 as a client meets them (no cookie, a JSON error).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { available, BACKENDS, basicHeader, type Call, call as callApp, FakeClock, legacyUser, on, readOnDisk, sessionIdFrom, tempDir } from "../helpers.ts";
import type { App } from "../../src/app/compose.ts";
import { type CeremonyKnobs, SoftAuthenticator } from "../auth/factors/webauthn/soft-authenticator.ts";
import { base32Decode, totp } from "../../src/auth/factors/totp.ts";

const LOGIN = "/api/v1/auth_session/login";
const PASSKEYS = "/api/v1/auth_session/passkeys";
const ORIGIN = "http://localhost:5000";
/** Requests as a browser sends them, naming the host (the RP ID and origin come from it). */
const call = (app: App, path: string, options: Call = {}) => callApp(app, path, { ...options, headers: { Host: "localhost:5000", ...options.headers } });
const BOB = legacyUser("bob@hbtn.io", "pw-secret", "11111111-1111-4111-8111-111111111111");
const ANN = legacyUser("ann@hbtn.io", "pw-secret", "22222222-2222-4222-8222-222222222222");
const handle = (id: string) => Buffer.from(id).toString("base64url");

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}] passkeys`, () => {
    const { testApp, seedUsers, closeApps } = on(backend);
    afterEach(closeApps);

    async function setUp(env: Record<string, string> = {}) {
      const dir = tempDir();
      await seedUsers(dir, [BOB, ANN]);
      const clock = new FakeClock();
      const app = testApp({ AUTH_TYPE: "session_db_auth", ...env }, { dataDir: dir, clock });
      return { dir, clock, app };
    }
    const as = (session: string, extra: Call = {}): Call => ({ ...extra, headers: { Cookie: `_my_session_id=${session}` } });
    const login = async (app: App, email = BOB.email!) => sessionIdFrom((await call(app, LOGIN, { form: { email, password: "pw-secret" } })).headers);

    /** A passkey registered for the user of `session`; the authenticator that holds it. */
    async function addPasskey(app: App, session: string, name?: string, authenticator?: SoftAuthenticator) {
      const options = (await call(app, `${PASSKEYS}/options`, as(session, { method: "POST" }))).json;
      const key = authenticator ?? (await SoftAuthenticator.create());
      const response = await call(app, PASSKEYS, as(session, { json: { ...(await key.register(options, ORIGIN)), ...(name ? { name } : {}) } }));
      expect(response.status).toBe(201);
      return { key, passkey: response.json };
    }
    const loginOptions = async (app: App, email?: string) => (await call(app, `${PASSKEYS}/login_options`, email ? { json: { email } } : { method: "POST" })).json;
    const factorsOf = async (app: App, session: string) => (await call(app, "/api/v1/auth_session/sessions", as(session))).json.find((s: { current: boolean }) => s.current).factors;

    describe("registering (§7.1)", () => {
      test("creation options in the WebAuthn JSON form", async () => {
        const { app } = await setUp();
        const session = await login(app);
        const first = await addPasskey(app, session);
        const response = await call(app, `${PASSKEYS}/options`, as(session, { method: "POST" }));
        expect(response.status).toBe(200);
        const options = response.json;
        expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(options.rp).toEqual({ id: "localhost", name: "session-auth" });
        expect(options.user).toEqual({ id: handle(BOB.id), name: BOB.email, displayName: BOB.email });
        expect(options.pubKeyCredParams).toEqual([{ type: "public-key", alg: -7 }, { type: "public-key", alg: -8 }, { type: "public-key", alg: -257 }]);
        expect(options.excludeCredentials).toEqual([{ type: "public-key", id: first.key.id, transports: ["internal"] }]);
        expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
        expect((await call(app, `${PASSKEYS}/options`, { method: "POST" })).status).toBe(401);
      });

      test("201 with id, name, created_at and last_used_at; listed, renamed, removed; stored in a file of its own", async () => {
        const { app, dir, clock } = await setUp();
        const session = await login(app);
        const { passkey } = await addPasskey(app, session, "Laptop");
        clock.advance(1);
        expect(Object.keys(passkey).sort()).toEqual(["created_at", "id", "last_used_at", "name"]);
        expect(passkey).toMatchObject({ name: "Laptop", last_used_at: null });
        const second = (await addPasskey(app, session)).passkey;
        expect(second.name).toBe("Passkey 2");
        expect((await call(app, PASSKEYS, as(session))).json.map((p: { id: string }) => p.id)).toEqual([passkey.id, second.id]);
        const renamed = await call(app, `${PASSKEYS}/${passkey.id}`, as(session, { method: "PATCH", json: { name: "  Phone " } }));
        expect(renamed).toMatchObject({ status: 200, json: { id: passkey.id, name: "Phone" } });
        expect((await call(app, `${PASSKEYS}/${passkey.id}`, as(session, { method: "PATCH", json: { name: "a\u0000b" } }))).status).toBe(400);
        expect((await call(app, `${PASSKEYS}/${passkey.id}`, as(session, { method: "DELETE" }))).json).toEqual({});
        expect((await call(app, PASSKEYS, as(session))).json).toHaveLength(1);
        if (backend === "json") {
          expect(Object.values(readOnDisk(dir, "Passkey")).map((p: { id: string }) => p.id)).toEqual([second.id]);
          expect(JSON.stringify(readOnDisk(dir, "User"))).not.toContain("credential");
        }
      });

      test("another user's passkey is a 404 to rename or remove", async () => {
        const { app } = await setUp();
        const { passkey } = await addPasskey(app, await login(app));
        const ann = await login(app, ANN.email!);
        expect((await call(app, `${PASSKEYS}/${passkey.id}`, as(ann, { method: "DELETE" }))).status).toBe(404);
        expect((await call(app, `${PASSKEYS}/${passkey.id}`, as(ann, { method: "PATCH", json: { name: "mine" } }))).status).toBe(404);
        expect((await call(app, PASSKEYS, as(ann))).json).toEqual([]);
      });

      test("step 8: the challenge is single-use, expires after 5 minutes, and is the requesting user's", async () => {
        const { app, clock } = await setUp();
        const session = await login(app);
        const options = (await call(app, `${PASSKEYS}/options`, as(session, { method: "POST" }))).json;
        const key = await SoftAuthenticator.create();
        const credential = await key.register(options, ORIGIN);
        expect((await call(app, PASSKEYS, as(session, { json: credential }))).status).toBe(201);
        const replay = await call(app, PASSKEYS, as(session, { json: await (await SoftAuthenticator.create()).register(options, ORIGIN) }));
        expect(replay).toMatchObject({ status: 401, json: { error: "passkey refused: challenge does not match" } });
        const later = (await call(app, `${PASSKEYS}/options`, as(session, { method: "POST" }))).json;
        clock.advance(301);
        expect((await call(app, PASSKEYS, as(session, { json: await (await SoftAuthenticator.create()).register(later, ORIGIN) }))).status).toBe(401);
        const annOptions = (await call(app, `${PASSKEYS}/options`, as(await login(app, ANN.email!), { method: "POST" }))).json;
        expect((await call(app, PASSKEYS, as(session, { json: await (await SoftAuthenticator.create()).register(annOptions, ORIGIN) }))).status).toBe(401);
      });

      test.each([
        ["step 9: another origin", { origin: "https://evil.example" }],
        ["step 14: another RP ID", { rpId: "evil.example" }],
        ["step 16: no user verification", { flags: { uv: false } }],
      ] as [string, CeremonyKnobs][])("%s is refused, nothing stored", async (_, knobs) => {
        const { app } = await setUp();
        const session = await login(app);
        const options = (await call(app, `${PASSKEYS}/options`, as(session, { method: "POST" }))).json;
        const response = await call(app, PASSKEYS, as(session, { json: await (await SoftAuthenticator.create()).register(options, ORIGIN, knobs) }));
        expect(response.status).toBe(401);
        expect(response.json.error).toStartWith("passkey refused: ");
        expect((await call(app, PASSKEYS, as(session))).json).toEqual([]);
      });

      test("ALLOWED_ORIGINS are accepted origins", async () => {
        const { app } = await setUp({ ALLOWED_ORIGINS: "https://app.example.com" });
        const session = await login(app);
        const options = (await call(app, `${PASSKEYS}/options`, as(session, { method: "POST" }))).json;
        expect((await call(app, PASSKEYS, as(session, { json: await (await SoftAuthenticator.create()).register(options, "https://app.example.com") }))).status).toBe(201);
      });

      test("step 26: a credential id registered already, for anyone, is refused", async () => {
        const { app } = await setUp();
        const { key } = await addPasskey(app, await login(app));
        const ann = await login(app, ANN.email!);
        const options = (await call(app, `${PASSKEYS}/options`, as(ann, { method: "POST" }))).json;
        expect((await call(app, PASSKEYS, as(ann, { json: await key.register(options, ORIGIN) }))).status).toBe(409);
        expect((await call(app, PASSKEYS, as(ann))).json).toEqual([]);
      });

      test("malformed bodies are a 400, never a 500", async () => {
        const { app } = await setUp();
        const session = await login(app);
        for (const json of [[], {}, { type: "public-key" }, { id: "AA", rawId: "AA", type: "public-key", response: { clientDataJSON: "!!", attestationObject: "" } }]) {
          const response = await call(app, PASSKEYS, as(session, { json }));
          expect(response.status).toBe(400);
          expect(response.json.error).toBeString();
        }
        expect((await call(app, PASSKEYS, as(session, { body: "{", headers: { "Content-Type": "application/json", Cookie: `_my_session_id=${session}` } }))).status).toBe(400);
      });
    });

    describe("signing in with a passkey alone (§7.2)", () => {
      test("200 with the user's JSON and a session cookie; the session proves passkey_verified", async () => {
        const { app } = await setUp();
        const { key } = await addPasskey(app, await login(app));
        const response = await call(app, `${PASSKEYS}/login`, { json: await key.authenticate(await loginOptions(app), ORIGIN, handle(BOB.id)) });
        expect(response.status).toBe(200);
        expect(response.json).toMatchObject({ id: BOB.id, email: BOB.email });
        const session = sessionIdFrom(response.headers);
        expect(await factorsOf(app, session)).toEqual(["passkey_verified"]);
        expect((await call(app, PASSKEYS, as(session))).json[0].last_used_at).toBeString();
      });

      test("request options: a challenge, the RP ID, user verification required; the passkeys of the email's user", async () => {
        const { app } = await setUp();
        const { key } = await addPasskey(app, await login(app));
        expect(await loginOptions(app)).toMatchObject({ rpId: "localhost", userVerification: "required", allowCredentials: [] });
        expect((await loginOptions(app, BOB.email!)).allowCredentials).toEqual([{ type: "public-key", id: key.id, transports: ["internal"] }]);
        expect((await loginOptions(app, "nobody@hbtn.io")).allowCredentials).toEqual([]);
      });

      async function refused(knobs: CeremonyKnobs, options?: { challengeFor?: string; signedWith?: SoftAuthenticator; stored?: number }) {
        const { app } = await setUp();
        const { key } = await addPasskey(app, await login(app));
        if (options?.stored !== undefined) {
          // A sign-in that leaves the stored counter at `stored`.
          key.signCount = options.stored - 1;
          expect((await call(app, `${PASSKEYS}/login`, { json: await key.authenticate(await loginOptions(app), ORIGIN, handle(BOB.id)) })).status).toBe(200);
        }
        const assertion = await (options?.signedWith ?? key).authenticate(await loginOptions(app, options?.challengeFor), ORIGIN, handle(BOB.id), knobs);
        const response = await call(app, `${PASSKEYS}/login`, { json: assertion });
        expect(response.status).toBe(401);
        expect(response.headers.get("set-cookie")).toBeNull();
        return response.json.error as string;
      }

      test("step 12: another origin", async () => expect(await refused({ origin: "https://evil.example" })).toBe("passkey refused: origin is not allowed"));
      test("step 17: user verification missing", async () => expect(await refused({ flags: { uv: false } })).toBe("passkey refused: user verification is required"));
      test("step 21: a signature made bogus", async () => expect(await refused({ badSignature: true })).toBe("passkey refused: signature is not valid"));
      test("step 22: a counter that goes back is refused as a possible clone", async () => expect(await refused({ signCount: 3 }, { stored: 5 })).toContain("possible cloned"));
      test("step 22: the same counter again is refused", async () => expect(await refused({ signCount: 5 }, { stored: 5 })).toContain("possible cloned"));
      test("step 6: a challenge issued for an email accepts only that user's passkeys", async () => expect(await refused({}, { challengeFor: ANN.email! })).toContain("not registered for this account"));
      test("step 6: an unknown credential", async () => expect(await refused({}, { signedWith: await SoftAuthenticator.create() })).toContain("not registered"));
      test("step 6: no user handle when no user was named", async () => expect(await refused({ userHandle: null })).toContain("user handle"));

      test("step 11: a replayed or expired challenge", async () => {
        const { app, clock } = await setUp();
        const { key } = await addPasskey(app, await login(app));
        const options = await loginOptions(app);
        expect((await call(app, `${PASSKEYS}/login`, { json: await key.authenticate(options, ORIGIN, handle(BOB.id)) })).status).toBe(200);
        const replay = await call(app, `${PASSKEYS}/login`, { json: await key.authenticate(options, ORIGIN, handle(BOB.id)) });
        expect(replay).toMatchObject({ status: 401, json: { error: "passkey refused: challenge does not match" } });
        const later = await loginOptions(app);
        clock.advance(5 * 60 + 1);
        expect((await call(app, `${PASSKEYS}/login`, { json: await key.authenticate(later, ORIGIN, handle(BOB.id)) })).status).toBe(401);
      });

      test("a page of another origin cannot sign a browser in", async () => {
        const { app } = await setUp();
        const { key } = await addPasskey(app, await login(app));
        const response = await call(app, `${PASSKEYS}/login`, { json: await key.authenticate(await loginOptions(app), ORIGIN, handle(BOB.id)), headers: { Origin: "https://evil.example" } });
        expect(response.status).toBe(403);
      });
    });

    describe("as the second factor after the password", () => {
      test("the password alone is refused, naming the factor, with no cookie; with the passkey it signs in", async () => {
        const { app } = await setUp();
        const { key } = await addPasskey(app, await login(app));
        const alone = await call(app, LOGIN, { form: { email: BOB.email!, password: "pw-secret" } });
        expect(alone).toMatchObject({ status: 401, json: { error: "second factor required", factors: ["passkey"] } });
        expect(alone.headers.get("set-cookie")).toBeNull();
        // As JSON text in the form.
        const assertion = await key.authenticate(await loginOptions(app, BOB.email!), ORIGIN, handle(BOB.id), { flags: { uv: false } });
        const form = await call(app, LOGIN, { form: { email: BOB.email!, password: "pw-secret", passkey: JSON.stringify(assertion) } });
        expect(form.status).toBe(200);
        expect(await factorsOf(app, sessionIdFrom(form.headers))).toEqual(["password", "passkey"]);
        // As an object in a JSON body.
        const second = await key.authenticate(await loginOptions(app, BOB.email!), ORIGIN, handle(BOB.id));
        expect((await call(app, LOGIN, { json: { email: BOB.email!, password: "pw-secret", passkey: second } })).status).toBe(200);
      });

      test("a wrong password is refused before the passkey is looked at; a wrong passkey is refused", async () => {
        const { app } = await setUp();
        const { key } = await addPasskey(app, await login(app));
        const assertion = await key.authenticate(await loginOptions(app, BOB.email!), ORIGIN, handle(BOB.id));
        expect((await call(app, LOGIN, { form: { email: BOB.email!, password: "nope", passkey: JSON.stringify(assertion) } })).status).toBe(401);
        const bogus = await key.authenticate(await loginOptions(app, BOB.email!), ORIGIN, handle(BOB.id), { badSignature: true });
        const response = await call(app, LOGIN, { form: { email: BOB.email!, password: "pw-secret", passkey: JSON.stringify(bogus) } });
        expect(response).toMatchObject({ status: 401, json: { error: "passkey refused" } });
        expect(response.headers.get("set-cookie")).toBeNull();
        for (const passkey of ["{", "[]", "null"]) expect((await call(app, LOGIN, { form: { email: BOB.email!, password: "pw-secret", passkey } })).status).toBe(401);
      });

      test("the assertion must answer a challenge issued for that email", async () => {
        const { app } = await setUp();
        const { key } = await addPasskey(app, await login(app));
        for (const options of [await loginOptions(app), await loginOptions(app, ANN.email!)]) {
          const assertion = await key.authenticate(options, ORIGIN, handle(BOB.id));
          expect((await call(app, LOGIN, { form: { email: BOB.email!, password: "pw-secret", passkey: JSON.stringify(assertion) } })).status).toBe(401);
        }
      });

      test("a JSON body without a passkey is read as the original reads it (no form: email missing)", async () => {
        const { app } = await setUp();
        expect(await call(app, LOGIN, { json: { email: BOB.email!, password: "pw-secret" } })).toMatchObject({ status: 400, json: { error: "email missing" } });
      });

      test("Basic is refused for a user with a passkey, and works again once it is removed", async () => {
        const { app, dir } = await setUp();
        const session = await login(app);
        const { passkey } = await addPasskey(app, session);
        const basic = testApp({ AUTH_TYPE: "basic_auth" }, { dataDir: dir });
        const me = () => call(basic, "/api/v1/users/me", { headers: { Authorization: basicHeader(BOB.email!, "pw-secret") } });
        expect((await me()).status).toBe(403);
        expect((await call(basic, "/api/v1/users/me", { headers: { Authorization: basicHeader(ANN.email!, "pw-secret") } })).status).toBe(200);
        await call(app, `${PASSKEYS}/${passkey.id}`, as(session, { method: "DELETE" }));
        // The other app reads the removal from the shared store.
        for (let i = 0; i < 50 && (await me()).status !== 200; i++) await Bun.sleep(50);
        expect((await me()).status).toBe(200);
        expect((await call(app, LOGIN, { form: { email: BOB.email!, password: "pw-secret" } })).status).toBe(200);
      });
    });

    test("two processes on one data folder: a passkey added in one signs in at the other; removed, it no longer does", async () => {
      const { app, dir, clock } = await setUp();
      const other = testApp({ AUTH_TYPE: "session_db_auth" }, { dataDir: dir, clock });
      const session = await login(app);
      const { key, passkey } = await addPasskey(app, session);
      expect((await call(other, `${PASSKEYS}/login`, { json: await key.authenticate(await loginOptions(other), ORIGIN, handle(BOB.id)) })).status).toBe(200);
      // The counter the other one recorded holds here too: an older count is refused.
      key.signCount -= 1;
      expect((await call(app, `${PASSKEYS}/login`, { json: await key.authenticate(await loginOptions(app), ORIGIN, handle(BOB.id)) })).json.error).toContain("possible cloned");
      key.signCount += 1;
      expect((await call(app, `${PASSKEYS}/${passkey.id}`, as(session, { method: "DELETE" }))).status).toBe(200);
      expect((await call(other, `${PASSKEYS}/login`, { json: await key.authenticate(await loginOptions(other), ORIGIN, handle(BOB.id)) })).status).toBe(401);
    });

    test.skipIf(backend === "json")("two instances: options from one, the answer to the other; the challenge answers once across both", async () => {
      const { app, dir, clock } = await setUp();
      const other = testApp({ AUTH_TYPE: "session_db_auth" }, { dataDir: dir, clock });
      const { key } = await addPasskey(app, await login(app));
      const options = await loginOptions(app);
      const assertion = await key.authenticate(options, ORIGIN, handle(BOB.id));
      expect((await call(other, `${PASSKEYS}/login`, { json: assertion })).status).toBe(200);
      expect((await call(app, `${PASSKEYS}/login`, { json: assertion })).status).toBe(401);
    });

    test("with one-time codes too: both are named; either completes the login; a passkey-only session passes forward auth", async () => {
      const { app, clock } = await setUp();
      const session = await login(app);
      const { key } = await addPasskey(app, session);
      const begun = await call(app, "/api/v1/auth_session/totp", as(session, { method: "POST" }));
      const secret = base32Decode(begun.json.secret)!;
      expect((await call(app, "/api/v1/auth_session/totp/confirm", as(session, { form: { code: await totp(secret, clock.now) } }))).status).toBe(200);
      expect(await call(app, LOGIN, { form: { email: BOB.email!, password: "pw-secret" } })).toMatchObject({ status: 401, json: { error: "second factor required", factors: ["passkey", "totp"] } });
      const assertion = await key.authenticate(await loginOptions(app, BOB.email!), ORIGIN, handle(BOB.id));
      const withPasskey = await call(app, LOGIN, { form: { email: BOB.email!, password: "pw-secret", passkey: JSON.stringify(assertion) } });
      expect(await factorsOf(app, sessionIdFrom(withPasskey.headers))).toEqual(["password", "passkey"]);
      clock.advance(60);
      const withCode = await call(app, LOGIN, { form: { email: BOB.email!, password: "pw-secret", code: await totp(secret, clock.now) } });
      expect(await factorsOf(app, sessionIdFrom(withCode.headers))).toEqual(["password", "totp"]);
      const alone = await call(app, `${PASSKEYS}/login`, { json: await key.authenticate(await loginOptions(app), ORIGIN, handle(BOB.id)) });
      const verified = await call(app, "/api/v1/auth/verify", as(sessionIdFrom(alone.headers)));
      expect(verified.status).toBe(200);
    });

    test("deleting a user removes their passkeys", async () => {
      const { app, dir } = await setUp();
      const { key } = await addPasskey(app, await login(app));
      const ann = await login(app, ANN.email!);
      expect((await call(app, `/api/v1/users/${BOB.id}`, as(ann, { method: "DELETE" }))).status).toBe(200);
      if (backend === "json") expect(readOnDisk(dir, "Passkey")).toEqual({});
      expect((await call(app, `${PASSKEYS}/login`, { json: await key.authenticate(await loginOptions(app), ORIGIN, handle(BOB.id)) })).status).toBe(401);
    });
  });
}
