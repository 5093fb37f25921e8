import { afterEach, describe, expect, test } from "bun:test";
import { runCli } from "../../src/cli.ts";
import { captureIo } from "../cli/io.ts";
import { available, BACKENDS, backendEnv, basicHeader, call, FakeClock, legacyUser, on, tempDir } from "../helpers.ts";

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
      return { clock, dir, app: testApp({ ...limits, ...env }, { dataDir: dir, clock }) };
    }

    describe("users unlock", () => {
      test("ends an account's throttle in the running server, which keeps counting afterwards", async () => {
        const { app, dir } = await setUp({ AUTH_TYPE: "session_auth" });
        for (let i = 0; i < 3; i++) await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "wrong" }, client: `10.0.0.${i}` });
        expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, client: "10.0.1.1" })).status).toBe(429);
        const run = captureIo();
        expect(await runCli(["users", "unlock", "--email", "bob@hbtn.io"], { DATA_DIR: dir, ...backendEnv(backend, dir) }, run.io)).toBe(0);
        expect(run.captured.out).toContain("bob@hbtn.io");
        // The server sees the change as it sees any other process's: at once, or within a moment for the JSON files.
        let status = 429;
        for (let i = 0; i < 100 && status === 429; i++) {
          status = (await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, client: `10.0.2.${i}` })).status;
          if (status === 429) await Bun.sleep(50);
        }
        expect(status).toBe(200);
        // Counting goes on from zero.
        for (let i = 0; i < 3; i++) expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "wrong" }, client: `10.0.3.${i}` })).status).toBe(401);
        expect((await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "right" }, client: "10.0.4.1" })).status).toBe(429);
        const unknown = captureIo();
        expect(await runCli(["users", "unlock", "--email", "nobody@hbtn.io"], { DATA_DIR: dir, ...backendEnv(backend, dir) }, unknown.io)).toBe(1);
      });
    });

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
