import { afterEach, describe, expect, test } from "bun:test";
import { available, BACKENDS, basicHeader, call, FakeClock, legacyUser, on, tempDir } from "../helpers.ts";

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}]`, () => {
    const { testApp, seedUsers, closeApps } = on(backend);
    afterEach(closeApps);

    const LOGIN = "/api/v1/auth_session/login";
    const limits = { LOGIN_MAX_FAILURES_PER_ACCOUNT: "3", LOGIN_MAX_FAILURES_PER_CLIENT: "6", LOGIN_THROTTLE_WINDOW: "60" };

    async function setUp(env: Record<string, string>) {
      const dir = tempDir();
      await seedUsers(dir, [legacyUser("bob@hbtn.io", "right")]);
      const clock = new FakeClock();
      return { clock, app: testApp({ ...limits, ...env }, { dataDir: dir, clock }) };
    }

    describe("session login throttling", () => {
      test("an account's failures lead to 429 with Retry-After, even for the right password, from any client", async () => {
        const { app, clock } = await setUp({ AUTH_TYPE: "session_auth" });
        for (let i = 0; i < 3; i++) {
          expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "wrong" }, client: `10.0.0.${i}` })).status).toBe(401);
        }
        const blocked = await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, client: "10.0.0.99" });
        expect(blocked).toMatchObject({ status: 429, json: { error: "too many attempts" } });
        expect(blocked.headers.get("retry-after")).toBe("60");
        clock.advance(60);
        expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, client: "10.0.0.99" })).status).toBe(200);
      });

      test("a success resets the account's count", async () => {
        const { app } = await setUp({ AUTH_TYPE: "session_auth" });
        for (let round = 0; round < 3; round++) {
          for (let i = 0; i < 2; i++) await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "wrong" }, client: `10.1.${round}.${i}` });
          expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, client: `10.2.${round}.0` })).status).toBe(200);
        }
      });

      test("one client guessing many emails is stopped; other clients are not", async () => {
        const { app } = await setUp({ AUTH_TYPE: "session_auth" });
        for (let i = 0; i < 6; i++) {
          expect((await call(app, LOGIN, { form: { email: `nobody${i}@hbtn.io`, password: "x" }, client: "6.6.6.6" })).status).toBe(404);
        }
        expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, client: "6.6.6.6" })).status).toBe(429);
        expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, client: "7.7.7.7" })).status).toBe(200);
      });

      test("behind a trusted proxy the forwarded address is the client", async () => {
        const { app } = await setUp({ AUTH_TYPE: "session_auth", TRUST_PROXY: "1" });
        for (let i = 0; i < 6; i++) {
          await call(app, LOGIN, { form: { email: `nobody${i}@hbtn.io`, password: "x" }, headers: { "X-Forwarded-For": "6.6.6.6" } });
        }
        expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, headers: { "X-Forwarded-For": "6.6.6.6" } })).status).toBe(429);
        expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, headers: { "X-Forwarded-For": "7.7.7.7" } })).status).toBe(200);
      });

      test("limits of 0 turn throttling off", async () => {
        const { app } = await setUp({ AUTH_TYPE: "session_auth", LOGIN_MAX_FAILURES_PER_ACCOUNT: "0", LOGIN_MAX_FAILURES_PER_CLIENT: "0" });
        for (let i = 0; i < 8; i++) await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "wrong" } });
        expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" } })).status).toBe(200);
      });
    });

    describe("Basic credentials are throttled too", () => {
      test("wrong passwords lead to 429 for that account", async () => {
        const { app } = await setUp({ AUTH_TYPE: "basic_auth" });
        for (let i = 0; i < 3; i++) {
          expect((await call(app, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob@hbtn.io", "wrong") }, client: `10.0.0.${i}` })).status).toBe(403);
        }
        const blocked = await call(app, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob@hbtn.io", "right") } });
        expect(blocked).toMatchObject({ status: 429, json: { error: "too many attempts" } });
        expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
      });

      test("a right password keeps working and resets the count", async () => {
        const { app } = await setUp({ AUTH_TYPE: "basic_auth" });
        for (let round = 0; round < 3; round++) {
          await call(app, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob@hbtn.io", "wrong") }, client: `10.0.${round}.1` });
          await call(app, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob@hbtn.io", "wrong") }, client: `10.0.${round}.2` });
          expect((await call(app, "/api/v1/users/me", { headers: { Authorization: basicHeader("bob@hbtn.io", "right") }, client: `10.0.${round}.3` })).status).toBe(200);
        }
      });
    });

    test("COOKIE_SECURE or https through a trusted proxy mark the cookie Secure", async () => {
      const { app } = await setUp({ AUTH_TYPE: "session_auth", TRUST_PROXY: "1" });
      const viaHttps = await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, headers: { "X-Forwarded-Proto": "https" } });
      expect(viaHttps.headers.get("set-cookie")).toContain("; Secure");
      const viaHttp = await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" } });
      expect(viaHttp.headers.get("set-cookie")).not.toContain("Secure");
      const { app: untrusting } = await setUp({ AUTH_TYPE: "session_auth" });
      const spoofed = await call(untrusting, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, headers: { "X-Forwarded-Proto": "https" } });
      expect(spoofed.headers.get("set-cookie")).not.toContain("Secure");
    });
  });
}
