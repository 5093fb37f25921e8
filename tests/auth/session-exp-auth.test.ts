import { expect, test } from "bun:test";
import { SessionAuth } from "../../src/auth/session-auth.ts";
import { SessionExpAuth } from "../../src/auth/session-exp-auth.ts";
import { expirySuite, purgeSuite, sessionOptions, sessionSuite } from "./session-suite.ts";

sessionSuite("SessionExpAuth", SessionExpAuth);
expirySuite("SessionExpAuth", SessionExpAuth);
purgeSuite("SessionExpAuth", SessionExpAuth);

test("SessionExpAuth extends SessionAuth and reads its duration from the options", () => {
  const auth = new SessionExpAuth(sessionOptions(undefined, { sessionDuration: 60 }));
  expect(auth).toBeInstanceOf(SessionAuth);
  expect(auth.sessionDuration).toBe(60);
});
