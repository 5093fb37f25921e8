import { expect, test } from "bun:test";
import { SessionDBAuth } from "../../src/auth/session-db-auth.ts";
import { SessionExpAuth } from "../../src/auth/session-exp-auth.ts";
import { sessionKey } from "../../src/auth/session-auth.ts";
import { FakeClock, readOnDisk, tempDir } from "../helpers.ts";
import { expirySuite, purgeSuite, sessionOptions, sessionSuite, userWithSession } from "./session-suite.ts";

sessionSuite("SessionDBAuth", SessionDBAuth);
expirySuite("SessionDBAuth", SessionDBAuth);
purgeSuite("SessionDBAuth", SessionDBAuth);

test("SessionDBAuth extends SessionExpAuth", () => {
  expect(new SessionDBAuth(sessionOptions())).toBeInstanceOf(SessionExpAuth);
});

test("sessions are UserSession records on disk and survive a restart", async () => {
  const dir = tempDir();
  const first = new SessionDBAuth(sessionOptions(dir));
  const sessionId = (await first.createSession("abcde"))!;
  const onDisk = Object.values(readOnDisk(dir, "UserSession")) as Record<string, string>[];
  expect(onDisk).toHaveLength(1);
  expect(onDisk[0]).toMatchObject({ user_id: "abcde", session_id: sessionKey(sessionId) });
  expect(Object.keys(onDisk[0]!).sort()).toEqual(["created_at", "id", "session_id", "updated_at", "user_id"]);
  expect(JSON.stringify(onDisk)).not.toContain(sessionId);

  const restarted = new SessionDBAuth(sessionOptions(dir));
  expect(await restarted.userIdForSessionId(sessionId)).toBe("abcde");
});

test("logout and expiry delete the record from the file", async () => {
  const dir = tempDir();
  const clock = new FakeClock();
  const auth = new SessionDBAuth(sessionOptions(dir, { sessionDuration: 60, clock: clock.read }));
  const loggedOut = (await auth.createSession("a"))!;
  await auth.createSession("b");
  const request = new Request("http://127.0.0.1/", { headers: { Cookie: `_my_session_id=${loggedOut}` } });
  expect(await auth.destroySession(request)).toBe(true);
  const records = () => Object.values(readOnDisk(dir, "UserSession")) as { user_id: string }[];
  expect(records().map((r) => r.user_id)).toEqual(["b"]);
  clock.advance(61);
  const expired = (await auth.createSession("c"))!;
  clock.advance(61);
  expect(await auth.userIdForSessionId(expired)).toBeNull();
  await new SessionDBAuth(sessionOptions(dir)).userIdForSessionId("x");
  expect(records().map((r) => r.user_id)).toEqual(["b"]);
});

test("needs a UserSession store", () => {
  expect(() => new SessionDBAuth({ ...sessionOptions(), sessions: undefined })).toThrow();
});

test("an expired session is refused and purged from the file", async () => {
  const dir = tempDir();
  const clock = new FakeClock();
  const { auth, user, request } = await userWithSession(SessionDBAuth, sessionOptions(dir, { sessionDuration: 60, clock: clock.read }));
  expect((await auth.currentUser(request))?.id).toBe(user.id);
  clock.advance(61);
  expect(await auth.currentUser(request)).toBeNull();
  expect(Object.keys(readOnDisk(dir, "UserSession"))).toHaveLength(0);
});

test("a stored session is never refused before SESSION_DURATION has passed, though its timestamp holds whole seconds", async () => {
  const clock = new FakeClock();
  clock.advance(0.999); // created at …:04.999, stored as …:04
  const created = clock.now;
  const { auth, user, request } = await userWithSession(SessionDBAuth, sessionOptions(tempDir(), { sessionDuration: 2, clock: clock.read }));
  for (const elapsed of [1, 1.5, 1.999, 2]) {
    clock.now = created + elapsed * 1000;
    expect([elapsed, (await auth.currentUser(request))?.id]).toEqual([elapsed, user.id]);
  }
  clock.now = created + 3001; // refused at most 1 s late
  expect(await auth.currentUser(request)).toBeNull();
});
