/**
 * A second factor given after the sign-in (POST /api/v1/auth_session/second_factor): a session
 * that proved one factor proves a second, and gets a new session that proves both; the old one
 * ends. What a provider's sign-in and an access rule's step-up use.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { App } from "../../src/app/compose.ts";
import { base32Decode, totp } from "../../src/auth/factors/totp.ts";
import { call, FakeClock, legacyUser, on, sessionIdFrom, tempDir } from "../helpers.ts";

const LOGIN = "/api/v1/auth_session/login";
const SECOND = "/api/v1/auth_session/second_factor";
const VERIFY = "/api/v1/auth/verify";

describe("a second factor after the sign-in", () => {
  const { testApp, seedUsers, closeApps } = on("json");
  afterEach(closeApps);

  const bob = legacyUser("bob@hbtn.io", "pw-secret");
  const ann = legacyUser("ann@hbtn.io", "pw-secret");
  const as = (sessionId: string) => ({ Cookie: `_my_session_id=${sessionId}` });

  async function setUp(env: Record<string, string> = {}) {
    const dir = tempDir();
    await seedUsers(dir, [bob, ann]);
    const clock = new FakeClock();
    const app = testApp({ AUTH_TYPE: "session_db_auth", ...env }, { dataDir: dir, clock });
    const login = async (email = "bob@hbtn.io") => sessionIdFrom((await call(app, LOGIN, { form: { email, password: "pw-secret" } })).headers);
    return { app, clock, login };
  }

  /** Bob's one-time codes turned on from a password session; that session and the secret. */
  async function enrol(app: App, clock: FakeClock, session: string) {
    const begun = await call(app, "/api/v1/auth_session/totp", { method: "POST", headers: as(session) });
    const code = await totp(base32Decode(begun.json.secret)!, clock.now);
    expect((await call(app, "/api/v1/auth_session/totp/confirm", { form: { code }, headers: as(session) })).status).toBe(200);
    return begun.json.secret as string;
  }

  /** A session of `userId` that proved what a provider's sign-in proves, as the callback makes it. */
  async function providerSession(app: App, userId: string, clock: FakeClock) {
    // Later than the enrolment: a session of that very second counts as the enrolling one.
    clock.advance(1000);
    return app.auth!.sessionKeeper()!.sessions.create(userId, { factors: ["oidc"] });
  }

  test("a provider's one-factor session of a user with one-time codes is refused by verify until it proves a code; then a new session proves both and the old one ends", async () => {
    const { app, clock, login } = await setUp();
    const secret = await enrol(app, clock, await login());
    const oidc = await providerSession(app, bob.id, clock);
    expect((await call(app, VERIFY, { headers: as(oidc) })).status).toBe(401);
    const asked = await call(app, SECOND, { headers: as(oidc) });
    expect(asked.json).toEqual({ factors: ["totp"], multi_factor: false, required: true, session_factors: ["oidc"] });
    // The code of the step that confirmed the enrolment was used: the next one.
    clock.advance(29_000);
    const proved = await call(app, SECOND, { form: { code: await totp(base32Decode(secret)!, clock.now) }, headers: as(oidc) });
    expect(proved.status).toBe(200);
    expect(proved.json.email).toBe("bob@hbtn.io");
    const both = sessionIdFrom(proved.headers);
    expect(both).not.toBe(oidc);
    expect((await call(app, VERIFY, { headers: as(both) })).status).toBe(200);
    expect((await call(app, SECOND, { headers: as(both) })).json).toMatchObject({ multi_factor: true, required: false, session_factors: ["oidc", "totp"] });
    // The one-factor session ended with the change.
    expect((await call(app, "/api/v1/users/me", { headers: as(oidc) })).status).toBe(403);
    // Proved once: asking again is a conflict, not a second new session.
    expect((await call(app, SECOND, { form: { code: "000000" }, headers: as(both) })).status).toBe(409);
  });

  test("nothing to check is 401 'second factor required' naming the factors, a wrong code 401 'wrong code'; neither sets a cookie", async () => {
    const { app, clock, login } = await setUp();
    await enrol(app, clock, await login());
    const oidc = await providerSession(app, bob.id, clock);
    const none = await call(app, SECOND, { form: {}, headers: as(oidc) });
    expect(none).toMatchObject({ status: 401, json: { error: "second factor required", factors: ["totp"] } });
    expect(none.headers.get("set-cookie")).toBeNull();
    const wrong = await call(app, SECOND, { json: { code: "000000" }, headers: as(oidc) });
    expect(wrong).toMatchObject({ status: 401, json: { error: "wrong code" } });
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });

  test("a user with no second factor is told to set one up (409); without a session the guard answers", async () => {
    const { app, login } = await setUp();
    const session = await login("ann@hbtn.io");
    expect(await call(app, SECOND, { form: { code: "123456" }, headers: as(session) })).toMatchObject({ status: 409, json: { error: "no second factor is set up for this account" } });
    expect((await call(app, SECOND, { form: { code: "123456" } })).status).toBe(401);
  });

  test("wrong codes count against the account as passwords do: a burst checks at most the limit, then 429", async () => {
    const { app, clock, login } = await setUp({ LOGIN_MAX_FAILURES_PER_ACCOUNT: "5", LOGIN_MAX_FAILURES_PER_CLIENT: "1000" });
    await enrol(app, clock, await login());
    const oidc = await providerSession(app, bob.id, clock);
    const statuses = await Promise.all(Array.from({ length: 40 }, () => call(app, SECOND, { form: { code: "000000" }, headers: as(oidc) }).then((answer) => answer.status)));
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(35);
  });
});
