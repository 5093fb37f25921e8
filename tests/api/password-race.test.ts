/**
 * Changing one's password while the same cookie is in use: the session the route keeps is never
 * refused meanwhile, and every other session of the user still ends; for every session strategy
 * on every backend, repeated, since a race shows itself only in some rounds.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { available, BACKENDS, call, legacyUser, on, sessionIdFrom, tempDir } from "../helpers.ts";
import type { App } from "../../src/app/compose.ts";

const LOGIN = "/api/v1/auth_session/login";
const PASSWORD = "/api/v1/auth_session/password";
const STRATEGIES = ["session_auth", "session_exp_auth", "session_db_auth"] as const;
const ROUNDS = 8;
/** Requests on the kept cookie that run side by side with each change. */
const LANES = 4;

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}] a password change under concurrent use of its cookie`, () => {
    const { testApp, seedUsers, closeApps } = on(backend);
    afterEach(closeApps);

    for (const authType of STRATEGIES) {
      test(`${authType}: the kept session answers every request meanwhile, the others end, ${ROUNDS} rounds`, async () => {
        const dir = tempDir();
        await seedUsers(dir, [legacyUser("bob@hbtn.io", "password 0")]);
        const app = testApp({ AUTH_TYPE: authType, SESSION_DURATION: "3600" }, { dataDir: dir });
        const login = async (app: App, password: string) => {
          const response = await call(app, LOGIN, { form: { email: "bob@hbtn.io", password } });
          expect(response.status).toBe(200);
          return sessionIdFrom(response.headers);
        };
        const as = (sessionId: string) => ({ headers: { Cookie: `_my_session_id=${sessionId}` } });
        const me = async (sessionId: string) => (await call(app, "/api/v1/users/me", as(sessionId))).status;

        const kept = await login(app, "password 0");
        for (let round = 0; round < ROUNDS; round++) {
          const other = await login(app, `password ${round}`);
          let done = false;
          const change = call(app, PASSWORD, { form: { current_password: `password ${round}`, new_password: `password ${round + 1}` }, ...as(kept) }).finally(() => {
            done = true;
          });
          const lanes = Array.from({ length: LANES }, async () => {
            const statuses: number[] = [];
            // Bounded: the change ends within a few hashes; the cap only guards against a hang.
            while (!done && statuses.length < 2000) statuses.push(await me(kept));
            statuses.push(await me(kept));
            return statuses;
          });
          const changed = await change;
          const statuses = (await Promise.all(lanes)).flat();
          expect({ round, status: changed.status, json: changed.json }).toEqual({ round, status: 200, json: { ended: 1 } });
          expect({ round, refused: statuses.filter((status) => status !== 200) }).toEqual({ round, refused: [] });
          expect({ round, other: await me(other) }).toEqual({ round, other: 403 });
          expect({ round, kept: await me(kept) }).toEqual({ round, kept: 200 });
        }
      }, 120_000);

      test(`${authType}: the same change sent twice at once (a double click): one stands, the session lives, ${ROUNDS} rounds`, async () => {
        const dir = tempDir();
        await seedUsers(dir, [legacyUser("bob@hbtn.io", "password 0")]);
        const app = testApp({ AUTH_TYPE: authType, SESSION_DURATION: "3600" }, { dataDir: dir });
        const login = await call(app, LOGIN, { form: { email: "bob@hbtn.io", password: "password 0" } });
        const kept = sessionIdFrom(login.headers);
        const as = { headers: { Cookie: `_my_session_id=${kept}` } };
        let password = "password 0";
        for (let round = 0; round < ROUNDS; round++) {
          const next = `password ${round + 1}`;
          const both = await Promise.all([0, 1].map(() => call(app, PASSWORD, { form: { current_password: password, new_password: next }, ...as })));
          const statuses = both.map((response) => response.status).sort();
          // The second finds the first's change: its password is wrong by then, or the change is under way.
          expect({ round, ok: statuses.filter((status) => status === 200).length, others: statuses.filter((status) => status !== 200 && status !== 401 && status !== 409) }).toEqual({ round, ok: 1, others: [] });
          password = next;
          expect({ round, kept: (await call(app, "/api/v1/users/me", as)).status }).toEqual({ round, kept: 200 });
        }
      }, 120_000);
    }
  });
}
