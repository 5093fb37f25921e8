/**
 * One-time codes through the API: enrolment, the login with a code or a recovery code, replays
 * refused across processes and restarts, removal, new recovery codes, Basic refused, the
 * throttle, and what is stored; on every backend.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { base32Decode, totp } from "../../src/auth/factors/totp.ts";
import { available, BACKENDS, basicHeader, call, FakeClock, legacyUser, on, readOnDisk, sessionIdFrom, tempDir, testConfig } from "../helpers.ts";
import { App } from "../../src/app/compose.ts";
import { createLogger } from "../../src/logger.ts";

const LOGIN = "/api/v1/auth_session/login";
const TOTP = "/api/v1/auth_session/totp";
const CONFIRM = "/api/v1/auth_session/totp/confirm";
const RECOVERY = "/api/v1/auth_session/recovery_codes";

for (const backend of BACKENDS) {
  if (backend === "postgres+redis") continue;
  describe.skipIf(!available(backend))(`[${backend}] one-time codes`, () => {
    const { testApp, seedUsers, closeApps } = on(backend);
    afterEach(closeApps);

    const bob = legacyUser("bob@hbtn.io", "pw-secret");
    async function setUp(env: Record<string, string> = {}, dir = tempDir()) {
      await seedUsers(dir, [bob, legacyUser("ann@hbtn.io", "pw-secret")]);
      const clock = new FakeClock();
      return { dir, clock, app: testApp({ AUTH_TYPE: "session_db_auth", ...env }, { dataDir: dir, clock }) };
    }
    const login = (app: App, fields: Record<string, string> = {}, email = "bob@hbtn.io") => call(app, LOGIN, { form: { email, password: "pw-secret", ...fields }, client: "10.1.2.3" });
    const as = (sessionId: string) => ({ Cookie: `_my_session_id=${sessionId}` });
    const codeAt = (secret: string, clock: FakeClock) => totp(base32Decode(secret)!, clock.now);

    /** Bob signed in, the factor turned on: his session, the secret and the recovery codes. */
    async function enrolled(app: App, clock: FakeClock) {
      const session = sessionIdFrom((await login(app)).headers);
      const begun = await call(app, TOTP, { method: "POST", headers: as(session) });
      expect(begun.status).toBe(200);
      const confirmed = await call(app, CONFIRM, { form: { code: await codeAt(begun.json.secret, clock) }, headers: as(session) });
      expect(confirmed.status).toBe(200);
      // The code proved the factor: the session goes on under a new id that proves it too.
      return { session: sessionIdFrom(confirmed.headers), enrolling: session, secret: begun.json.secret as string, recoveryCodes: confirmed.json.recovery_codes as string[] };
    }

    test("enrolment: a secret of 160 bits and its otpauth URI; nothing is on until a code confirms it", async () => {
      const { app, clock } = await setUp({ TOTP_ISSUER: "Acme" });
      const session = sessionIdFrom((await login(app)).headers);
      const begun = await call(app, TOTP, { method: "POST", headers: as(session) });
      expect(begun.status).toBe(200);
      expect(begun.headers.get("cache-control")).toBe("no-store");
      const { secret, uri } = begun.json;
      expect(base32Decode(secret)!.length).toBeGreaterThanOrEqual(20);
      expect(uri).toBe(`otpauth://totp/Acme:bob%40hbtn.io?secret=${secret}&issuer=Acme&algorithm=SHA1&digits=6&period=30`);
      // Pending only: the login is unchanged.
      expect((await login(app)).status).toBe(200);
      // Asking again replaces the pending secret: a code of the first one no longer confirms.
      const again = await call(app, TOTP, { method: "POST", headers: as(session) });
      expect(again.json.secret).not.toBe(secret);
      expect(await call(app, CONFIRM, { form: { code: await codeAt(secret, clock) }, headers: as(session) })).toMatchObject({ status: 401, json: { error: "wrong code" } });
      const confirmed = await call(app, CONFIRM, { json: { code: await codeAt(again.json.secret, clock) }, headers: as(session) });
      expect(confirmed.status).toBe(200);
      expect(confirmed.json.recovery_codes).toHaveLength(10);
      expect(new Set(confirmed.json.recovery_codes).size).toBe(10);
      // The session goes on under a new id, which proves the code; the old id is ended.
      const proved = sessionIdFrom(confirmed.headers);
      expect(proved).not.toBe(session);
      expect((await call(app, "/api/v1/users/me", { headers: as(session) })).status).toBe(403);
      // Once on, a new enrolment is refused: the factor is removed first.
      expect((await call(app, TOTP, { method: "POST", headers: as(proved) })).status).toBe(409);
    });

    test("the routes need a session, and a code", async () => {
      const { app } = await setUp();
      expect((await call(app, TOTP, { method: "POST" })).status).toBe(401);
      const session = sessionIdFrom((await login(app)).headers);
      expect(await call(app, CONFIRM, { form: {}, headers: as(session) })).toMatchObject({ status: 400, json: { error: "code missing" } });
      expect(await call(app, CONFIRM, { form: { code: "123456" }, headers: as(session) })).toMatchObject({ status: 409, json: { error: "no enrolment pending" } });
      expect((await call(app, TOTP, { method: "DELETE", form: { code: "123456" }, headers: as(session) })).status).toBe(404);
    });

    test("login: without a code 401 'second factor required', a wrong one 401 'wrong code', neither sets a cookie; a current code logs in", async () => {
      const { app, clock } = await setUp();
      const { secret } = await enrolled(app, clock);
      const without = await login(app);
      expect(without).toMatchObject({ status: 401, json: { error: "second factor required" } });
      expect(without.headers.get("set-cookie")).toBeNull();
      clock.advance(30);
      const code = await codeAt(secret, clock);
      const wrong = await login(app, { code: code === "000000" ? "000001" : "000000" });
      expect(wrong).toMatchObject({ status: 401, json: { error: "wrong code" } });
      expect(wrong.headers.get("set-cookie")).toBeNull();
      const right = await login(app, { code });
      expect(right.status).toBe(200);
      expect(right.json.email).toBe("bob@hbtn.io");
      expect((await call(app, "/api/v1/users/me", { headers: as(sessionIdFrom(right.headers)) })).status).toBe(200);
      // A user without a second factor logs in as before; a stray code is ignored.
      expect((await login(app, { code: "nonsense" }, "ann@hbtn.io")).status).toBe(200);
      // Still a wrong password first.
      expect(await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "nope-nope", code } })).toMatchObject({ status: 401, json: { error: "wrong password" } });
    });

    test("RFC 6238 §5.2: ±1 step accepted; a step is used once, and no earlier one after it (the confirming step included)", async () => {
      const { app, clock } = await setUp();
      const { secret } = await enrolled(app, clock);
      // The step that confirmed enrolment counts as used.
      expect(await login(app, { code: await codeAt(secret, clock) })).toMatchObject({ status: 401, json: { error: "wrong code" } });
      clock.advance(60);
      const previous = await totp(base32Decode(secret)!, clock.now - 30_000);
      const next = await totp(base32Decode(secret)!, clock.now + 30_000);
      expect((await login(app, { code: next })).status).toBe(200);
      // The next step is used: the earlier one is refused now, though within the window.
      expect((await login(app, { code: previous })).status).toBe(401);
      expect((await login(app, { code: next })).status).toBe(401);
      clock.advance(90);
      expect((await login(app, { code: await totp(base32Decode(secret)!, clock.now - 60_000) })).status).toBe(401);
    });

    test("two logins with one code at once: one gets in", async () => {
      const { app, clock } = await setUp();
      const { secret } = await enrolled(app, clock);
      clock.advance(30);
      const code = await codeAt(secret, clock);
      const statuses = (await Promise.all(Array.from({ length: 8 }, () => login(app, { code })))).map((each) => each.status).sort();
      expect(statuses).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
    });

    test("a recovery code logs in once; a new set ends the old one", async () => {
      const { app, clock } = await setUp();
      const { session, secret, recoveryCodes } = await enrolled(app, clock);
      expect(recoveryCodes[0]).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
      expect((await login(app, { code: recoveryCodes[0]!.toUpperCase() })).status).toBe(200);
      expect(await login(app, { code: recoveryCodes[0]! })).toMatchObject({ status: 401, json: { error: "wrong code" } });
      // New codes need a one-time code, not a recovery code.
      expect((await call(app, RECOVERY, { form: { code: recoveryCodes[1]! }, headers: as(session) })).status).toBe(401);
      clock.advance(30);
      const renewed = await call(app, RECOVERY, { form: { code: await codeAt(secret, clock) }, headers: as(session) });
      expect(renewed.status).toBe(200);
      expect(renewed.json.recovery_codes).toHaveLength(10);
      expect((await login(app, { code: recoveryCodes[1]! })).status).toBe(401);
      expect((await login(app, { code: renewed.json.recovery_codes[0] })).status).toBe(200);
    });

    test("DELETE with a current code (or a recovery code) turns it off; a wrong code does not", async () => {
      const { app, clock } = await setUp();
      const { session, recoveryCodes } = await enrolled(app, clock);
      expect(await call(app, TOTP, { method: "DELETE", form: { code: "zzzzz-zzzzz" }, headers: as(session) })).toMatchObject({ status: 401, json: { error: "wrong code" } });
      const removed = await call(app, TOTP, { method: "DELETE", json: { code: recoveryCodes[3] }, headers: as(session) });
      expect(removed).toMatchObject({ status: 200, json: {} });
      expect((await login(app)).status).toBe(200);
    });

    test("forward auth: a session of a second before the factor was turned on keeps working, the enrolling one goes on under a new id, one with the code works, one-factor ones since (of the very second too) do not", async () => {
      const { app, clock } = await setUp();
      const earlier = sessionIdFrom((await login(app)).headers);
      clock.advance(1);
      const { session, enrolling, secret } = await enrolled(app, clock);
      const verify = (sessionId: string) => call(app, "/api/v1/auth/verify", { headers: as(sessionId) });
      expect((await verify(earlier)).status).toBe(200);
      expect((await verify(session)).status).toBe(200);
      expect((await call(app, "/api/v1/auth_session/second_factor", { headers: as(session) })).json).toMatchObject({ multi_factor: true, required: false, session_factors: ["password", "totp"] });
      // The id the enrolment was made under ended with it.
      expect((await verify(enrolling)).status).toBe(401);
      // Stored to the second, a session of the second the factor was turned on in may have come
      // after it: a provider's sign-in without MFA, that very second, is not let through.
      const sameSecond = await app.auth!.sessionKeeper()!.sessions.create(bob.id, { factors: ["oidc"] });
      expect((await verify(sameSecond)).status).toBe(401);
      clock.advance(30);
      const withCode = sessionIdFrom((await login(app, { code: await codeAt(secret, clock) })).headers);
      expect((await verify(withCode)).status).toBe(200);
      // A one-factor session made after the factor was on (no login route makes one; a sign-in elsewhere could).
      const passwordOnly = await app.auth!.sessionKeeper()!.sessions.create(bob.id, { factors: ["password"] });
      expect((await verify(passwordOnly)).status).toBe(401);
      expect((await call(app, TOTP, { method: "DELETE", form: { code: "aaaaa-aaaaa" }, headers: as(passwordOnly) })).status).toBe(403);
    });

    test("wrong codes count against the account: a burst of 300 checks at most the limit, then 429, and then a right code too", async () => {
      const { app, clock } = await setUp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: "5", LOGIN_MAX_FAILURES_PER_CLIENT: "1000" });
      const { secret } = await enrolled(app, clock);
      clock.advance(30);
      const code = await codeAt(secret, clock);
      const wrong = code === "111111" ? "222222" : "111111";
      const statuses = (await Promise.all(Array.from({ length: 300 }, () => login(app, { code: wrong })))).map((each) => each.status);
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(295);
      expect((await login(app, { code })).status).toBe(429);
    });

    test("asking for the code (no code) gives the attempt back: it cannot wipe out counted wrong codes", async () => {
      const { app, clock } = await setUp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: "3" });
      await enrolled(app, clock);
      for (let i = 0; i < 3; i++) {
        expect((await login(app)).status).toBe(401);
        expect((await login(app, { code: "000000" })).status).toBe(401);
      }
      // Three wrong codes, whatever came between them: the limit.
      expect((await login(app)).status).toBe(429);
    });

    test("Basic authentication is refused (403) to a user with a second factor, with the right password", async () => {
      const { app, clock, dir } = await setUp();
      const basic = testApp({ AUTH_TYPE: "basic_auth" }, { dataDir: dir, clock });
      // Verified (and remembered) before the factor is on: refused as soon as it is.
      expect((await call(basic, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob@hbtn.io", "pw-secret") } })).status).toBe(200);
      await enrolled(app, clock);
      // The Basic app is another store on the folder: it sees the change at its next file event.
      await Bun.sleep(backend === "json" ? 300 : 0);
      expect((await call(basic, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob@hbtn.io", "pw-secret") } })).status).toBe(403);
      expect((await call(basic, "/api/v1/users/me", { headers: { Authorization: basicHeader("ann@hbtn.io", "pw-secret") } })).status).toBe(200);
      expect((await call(basic, "/api/v1/auth/verify", { headers: { Authorization: basicHeader("bob@hbtn.io", "pw-secret") } })).status).toBe(401);
    });

    test("a used step is refused by another process on the same data, and after a restart", async () => {
      const { app, clock, dir } = await setUp();
      const { secret } = await enrolled(app, clock);
      clock.advance(30);
      const code = await codeAt(secret, clock);
      const other = testApp({ AUTH_TYPE: "session_db_auth" }, { dataDir: dir, clock });
      expect((await login(app, { code })).status).toBe(200);
      expect((await login(other, { code })).status).toBe(401);
      await app.close();
      const restarted = testApp({ AUTH_TYPE: "session_db_auth" }, { dataDir: dir, clock });
      expect((await login(restarted, { code })).status).toBe(401);
      clock.advance(30);
      expect((await login(restarted, { code: await codeAt(secret, clock) })).status).toBe(200);
    });

    test("deleting the user removes the factor", async () => {
      const { app, clock, dir } = await setUp({ USERS_API: "open" });
      const { session } = await enrolled(app, clock);
      expect((await call(app, `/api/v1/users/${bob.id}`, { method: "DELETE", headers: as(session) })).status).toBe(200);
      if (backend === "json") expect(readOnDisk(dir, "UserTotp")[bob.id]).toBeUndefined();
    });

    if (backend === "json") {
      test("LOG_FORMAT=json: turning it on, new recovery codes and removal are one line each with an event, no secret or code", async () => {
        const dir = tempDir();
        await seedUsers(dir, [bob]);
        const clock = new FakeClock();
        let out = "";
        const logger = createLogger("json", { out: (text) => (out += text), err: (text) => (out += text) });
        const app = App.create(testConfig({ AUTH_TYPE: "session_db_auth", LOG_FORMAT: "json" }, dir), { clock: clock.read, logger });
        try {
          const { session, secret, recoveryCodes } = await enrolled(app, clock);
          clock.advance(30);
          const renewed = await call(app, RECOVERY, { form: { code: await codeAt(secret, clock) }, headers: as(session) });
          expect((await call(app, TOTP, { method: "DELETE", form: { code: renewed.json.recovery_codes[0] }, headers: as(session) })).status).toBe(200);
          logger.flush?.();
          await Bun.sleep(10);
          const events = out.split("\n").filter(Boolean).map((line) => JSON.parse(line)).filter((line) => String(line.event).startsWith("factor."));
          expect(events.map((line) => [line.event, line.factor, line.user_id])).toEqual([
            ["factor.added", "totp", bob.id],
            ["factor.added", "recovery_codes", bob.id],
            ["factor.removed", "totp", bob.id],
          ]);
          for (const text of [secret, ...recoveryCodes, ...renewed.json.recovery_codes]) expect(out).not.toContain(text);
        } finally {
          await app.close();
        }
      });

      test("at rest: the secret sealed, recovery codes hashed, in .db_UserTotp.json; .totp.key made 0600; .db_User.json untouched", async () => {
        const { app, clock, dir } = await setUp();
        const { secret, recoveryCodes } = await enrolled(app, clock);
        await app.close();
        const stored = readFileSync(join(dir, ".db_UserTotp.json"), "utf8");
        expect(stored).toContain(bob.id);
        expect(stored).not.toContain(secret);
        expect(stored.toLowerCase()).not.toContain(Buffer.from(base32Decode(secret)!).toString("hex"));
        for (const code of recoveryCodes) expect(stored).not.toContain(code.replace("-", ""));
        expect(statSync(join(dir, ".totp.key")).mode & 0o777).toBe(0o600);
        // The users' file (which the original program rewrites) holds nothing of the factor.
        expect(Object.keys(readOnDisk(dir, "User")[bob.id]).sort()).toEqual(Object.keys(bob).sort());
      });

      test("SECRET_KEY instead of a key file; another key cannot open the secret", async () => {
        const key = "a1".repeat(32);
        const { app, clock, dir } = await setUp({ SECRET_KEY: key });
        const { secret } = await enrolled(app, clock);
        await app.close();
        expect(() => statSync(join(dir, ".totp.key"))).toThrow();
        clock.advance(30);
        const wrongKey = testApp({ AUTH_TYPE: "session_db_auth", SECRET_KEY: "b2".repeat(32) }, { dataDir: dir, clock });
        expect((await login(wrongKey, { code: await codeAt(secret, clock) })).status).toBe(401);
        const rightKey = testApp({ AUTH_TYPE: "session_db_auth", SECRET_KEY: key }, { dataDir: dir, clock });
        expect((await login(rightKey, { code: await codeAt(secret, clock) })).status).toBe(200);
      });
    }
  });
}
