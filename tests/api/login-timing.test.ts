/**
 * A login's time tells nothing about the account: unknown emails, wrong passwords, accounts
 * with the original's SHA-256 hash and accounts without a password all cost one argon2 check,
 * by session login and by Basic. The medians are printed; they must lie within a factor of
 * each other that no skipped hash could stay inside (a SHA-256 check alone is ~100× faster).
 */
import { expect, test } from "bun:test";
import { hashPassword } from "../../src/domain/password.ts";
import { basicHeader, call, legacyUser, seedUsers, tempDir, testApp } from "../helpers.ts";

const TRIES = 15;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

for (const authType of ["session_auth", "basic_auth"] as const) {
  test(`${authType}: unknown email, wrong password, SHA-256 account and password-less account take the same time`, async () => {
    const dir = tempDir();
    const modern = { ...legacyUser("modern@hbtn.io", "x"), _password: await hashPassword("right") };
    await seedUsers(dir, [modern, legacyUser("legacy@hbtn.io", "right"), { ...legacyUser("nopassword@hbtn.io", "x"), _password: null }]);
    const app = testApp({ AUTH_TYPE: authType, LOGIN_MAX_FAILURES_PER_CLIENT: "0", LOGIN_MAX_FAILURES_PER_ACCOUNT: "0" }, { dataDir: dir });
    const attempt = (email: string) =>
      authType === "session_auth"
        ? call(app, "/api/v1/auth_session/login", { form: { email, password: "wrong" } })
        : call(app, "/api/v1/users/me", { headers: { Authorization: basicHeader(email, `wrong ${crypto.randomUUID()}`) } });
    const kinds = { "unknown email": "nobody@hbtn.io", "wrong password": "modern@hbtn.io", "SHA-256 account": "legacy@hbtn.io", "no password": "nopassword@hbtn.io" };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((kind) => [kind, []]));
    await attempt("nobody@hbtn.io"); // the dummy hash is made on first use
    for (let i = 0; i < TRIES; i++) {
      for (const [kind, email] of Object.entries(kinds)) {
        const started = performance.now();
        const response = await attempt(email);
        times[kind]!.push(performance.now() - started);
        expect(response.status).toBeGreaterThanOrEqual(400);
      }
    }
    await app.close();
    const medians = Object.fromEntries(Object.entries(times).map(([kind, values]) => [kind, Math.round(median(values) * 10) / 10]));
    console.log(`${authType} login medians (ms, ${TRIES} tries each): ${JSON.stringify(medians)}`);
    const values = Object.values(medians);
    expect(Math.max(...values) / Math.min(...values)).toBeLessThan(2);
  }, 60_000);
}
