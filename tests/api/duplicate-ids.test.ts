/**
 * A `.db_UserSession.json` holding one session id twice (the original program never wrote one,
 * but a hand edit or a merge of two files can): the server reads it as the original program's
 * json.load does, the last copy of the id standing alone. Logging out with that copy's cookie
 * ends it, also after a restart, and the other copy's cookie never worked.
 */
import { expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sessionKey } from "../../src/auth/session-auth.ts";
import { topLevelKeys } from "../storage/json-file/fixtures/top-level-keys.ts";
import { call, legacyUser, seedUsers, tempDir, testApp } from "../helpers.ts";

const as = (cookie: string) => ({ headers: { Cookie: `_my_session_id=${cookie}` } });

test("one session id twice, first kept as an object and then packed: the last copy alone, and logout ends it for good", async () => {
  const dir = tempDir();
  const bob = legacyUser("bob@hbtn.io", "pw");
  await seedUsers(dir, [bob]);
  const id = crypto.randomUUID();
  const [firstCookie, secondCookie, otherCookie] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  const stamp = "2017-10-16T04:23:04";
  const session = (cookie: string, sessionId = id) => ({ id: sessionId, created_at: stamp, updated_at: stamp, user_id: bob.id, session_id: sessionKey(cookie) });
  // The first copy has a field the packed sessions have no place for; the second is the original's shape.
  const first = { ...session(firstCookie), note: "kept as an object" };
  const other = session(otherCookie, crypto.randomUUID());
  const second = session(secondCookie);
  const entries: [string, object][] = [[id, first], [other.id, other], [id, second]];
  writeFileSync(join(dir, ".db_UserSession.json"), `{${entries.map(([key, record]) => `${JSON.stringify(key)}: ${JSON.stringify(record)}`).join(", ")}}`);

  const app = testApp({ AUTH_TYPE: "session_db_auth" }, { dataDir: dir });
  expect((await call(app, "/api/v1/users/me", as(firstCookie))).status).toBe(403);
  expect((await call(app, "/api/v1/users/me", as(secondCookie))).status).toBe(200);
  expect((await call(app, "/api/v1/auth_session/logout", { method: "DELETE", ...as(secondCookie) })).status).toBe(200);
  expect((await call(app, "/api/v1/users/me", as(secondCookie))).status).toBe(403);
  expect((await call(app, "/api/v1/users/me", as(firstCookie))).status).toBe(403);
  expect((await call(app, "/api/v1/users/me", as(otherCookie))).status).toBe(200);
  await app.close();

  // The rewrite at the clean stop holds every id once; the logout stands after a restart.
  expect(topLevelKeys(readFileSync(join(dir, ".db_UserSession.json"), "utf8"))).toEqual([other.id]);
  const restarted = testApp({ AUTH_TYPE: "session_db_auth" }, { dataDir: dir });
  expect((await call(restarted, "/api/v1/users/me", as(secondCookie))).status).toBe(403);
  expect((await call(restarted, "/api/v1/users/me", as(firstCookie))).status).toBe(403);
  expect((await call(restarted, "/api/v1/users/me", as(otherCookie))).status).toBe(200);
  await restarted.close();
});
