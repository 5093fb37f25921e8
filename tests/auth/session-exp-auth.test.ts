import { expect, test } from "bun:test";
import { SessionAuth } from "../../src/auth/session-auth.ts";
import { SessionExpAuth } from "../../src/auth/session-exp-auth.ts";
import { FakeClock } from "../helpers.ts";
import { expirySuite, purgeSuite, sessionOptions, sessionSuite, userWithSession } from "./session-suite.ts";

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
  const { auth, user, request } = await userWithSession(SessionExpAuth, sessionOptions(undefined, { sessionDuration: 60, clock: clock.read }));
  expect((auth.currentUser(request) as { id: string } | null)?.id).toBe(user.id);
  clock.advance(61);
  const answer = auth.currentUser(request);
  expect(answer).not.toBeInstanceOf(Promise);
  expect(answer).toBeNull();
  expect(auth.sessions.store.count()).toBe(0);
});
