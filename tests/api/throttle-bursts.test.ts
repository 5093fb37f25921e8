/**
 * Throttling under concurrency and across instances: every attempt is counted before its
 * password is checked, so no burst gets more checks than the limits allow, on every backend;
 * with PostgreSQL or Redis the counts are shared by every instance and outlive a restart.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { available, BACKENDS, basicHeader, call, legacyUser, on, tempDir } from "../helpers.ts";
import type { App } from "../../src/app/compose.ts";

const LOGIN = "/api/v1/auth_session/login";
const limits = { LOGIN_MAX_FAILURES_PER_ACCOUNT: "10", LOGIN_MAX_FAILURES_PER_CLIENT: "6", LOGIN_THROTTLE_WINDOW: "600" };

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}] bursts`, () => {
    const { testApp, seedUsers, closeApps } = on(backend);
    afterEach(closeApps);

    async function setUp(env: Record<string, string>, dir = tempDir()) {
      await seedUsers(dir, [legacyUser("bob@hbtn.io", "right"), legacyUser("mallory@hbtn.io", "mine")]);
      return { dir, app: testApp({ ...limits, ...env }, { dataDir: dir }) };
    }
    const login = (app: App, email: string, password: string, client: string) => call(app, LOGIN, { form: { email, password }, client }).then((response) => response.status);
    const basic = (app: App, email: string, password: string, client: string) =>
      call(app, "/api/v1/users/me", { headers: { Authorization: basicHeader(email, password) }, client }).then((response) => response.status);

    test("300 concurrent wrong logins for one account: exactly its limit are checked, and the right guess among them is refused", async () => {
      const { app } = await setUp({ AUTH_TYPE: "session_auth" });
      const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => login(app, "bob@hbtn.io", i === 299 ? "right" : "wrong", `10.1.${i >> 8}.${i & 255}`)));
      expect(tally(statuses)).toEqual({ 401: 10, 429: 290 });
    }, 60_000);

    test("300 concurrent Basic requests with wrong passwords: exactly the limit are checked", async () => {
      const { app } = await setUp({ AUTH_TYPE: "basic_auth" });
      const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => basic(app, "bob@hbtn.io", `wrong ${i}`, `10.2.${i >> 8}.${i & 255}`)));
      expect(tally(statuses)).toEqual({ 403: 10, 429: 290 });
    }, 60_000);

    test("one address trying 300 emails at once gets its limit of checks, whatever the emails", async () => {
      const { app } = await setUp({ AUTH_TYPE: "session_auth" });
      const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => login(app, `nobody${i}@hbtn.io`, "x", "6.6.6.6")));
      expect(tally(statuses)).toEqual({ 404: 6, 429: 294 });
      expect(await login(app, "bob@hbtn.io", "right", "7.7.7.7")).toBe(200);
    }, 60_000);

    test("a success gives its attempt back: a user who types their password right is never locked out by it", async () => {
      const { app } = await setUp({ AUTH_TYPE: "session_auth" });
      for (let i = 0; i < 20; i++) expect(await login(app, "bob@hbtn.io", "right", "9.9.9.9")).toBe(200);
    }, 60_000);

    test("a success clears only its own account's count: logging into another account leaves this one's alone", async () => {
      const { app } = await setUp({ AUTH_TYPE: "session_auth" });
      for (let i = 0; i < 9; i++) expect(await login(app, "bob@hbtn.io", "wrong", `10.3.0.${i}`)).toBe(401);
      expect(await login(app, "mallory@hbtn.io", "mine", "10.3.1.1")).toBe(200);
      expect(await login(app, "bob@hbtn.io", "wrong", "10.3.0.100")).toBe(401);
      expect(await login(app, "bob@hbtn.io", "right", "10.3.0.101")).toBe(429);
    }, 60_000);

    test("the attempts at one account add up across the cases of its email", async () => {
      const { app } = await setUp({ AUTH_TYPE: "session_auth" });
      const cases = ["bob@hbtn.io", "BOB@hbtn.io", "Bob@Hbtn.io", " bob@HBTN.IO "];
      for (let i = 0; i < 10; i++) expect(await login(app, cases[i % cases.length]!, "wrong", `10.5.0.${i}`)).toBe(401);
      expect(await login(app, "bob@hbtn.io", "right", "10.5.1.1")).toBe(429);
    }, 60_000);

    if (backend !== "json") {
      test("two instances on one store allow what one does, and a restart does not reset the counts", async () => {
        const { dir, app: first } = await setUp({ AUTH_TYPE: "session_auth" });
        const second = testApp({ ...limits, AUTH_TYPE: "basic_auth" }, { dataDir: dir });
        const statuses = await Promise.all(
          Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? login(first, "bob@hbtn.io", "wrong", `10.4.0.${i}`) : basic(second, "bob@hbtn.io", `wrong ${i}`, `10.4.1.${i}`))),
        );
        expect(statuses.filter((status) => status === 401 || status === 403)).toHaveLength(10);
        await closeApps();
        const restarted = testApp({ ...limits, AUTH_TYPE: "session_auth" }, { dataDir: dir });
        expect(await login(restarted, "bob@hbtn.io", "right", "10.4.2.1")).toBe(429);
      }, 60_000);
    }
  });
}
