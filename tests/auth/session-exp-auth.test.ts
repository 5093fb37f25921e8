import { expect, test } from "bun:test";
import { SessionAuth } from "../../src/auth/session-auth.ts";
import { SessionExpAuth } from "../../src/auth/session-exp-auth.ts";
import { FakeClock, legacyUser } from "../helpers.ts";
import { expirySuite, purgeSuite, sessionOptions, sessionSuite } from "./session-suite.ts";

sessionSuite("SessionExpAuth", SessionExpAuth);
expirySuite("SessionExpAuth", SessionExpAuth);
purgeSuite("SessionExpAuth", SessionExpAuth);

test("SessionExpAuth extends SessionAuth and reads its duration from the options", () => {
  const auth = new SessionExpAuth(sessionOptions(undefined, { sessionDuration: 60 }));
  expect(auth).toBeInstanceOf(SessionAuth);
  expect(auth.sessionDuration).toBe(60);
});

test("an expired session in memory is refused and forgotten without waiting", async () => {
  const clock = new FakeClock();
  const options = sessionOptions(undefined, { sessionDuration: 60, clock: clock.read });
  const user = legacyUser("exp@hbtn.io", "fake pwd");
  await options.users.save(user);
  const auth = new SessionExpAuth(options);
  const sessionId = (await auth.createSession(user.id))!;
  const request = new Request("http://127.0.0.1/", { headers: { Cookie: `_my_session_id=${sessionId}` } });
  expect(auth.currentUserNow(request)?.id).toBe(user.id);
  clock.advance(61);
  expect(auth.currentUserNow(request)).toBeNull();
  expect(auth.userIdBySessionId.size).toBe(0);
});
