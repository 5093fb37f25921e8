import { expect, test } from "bun:test";
import { Auth } from "../../src/auth/auth.ts";
import { SessionAuth } from "../../src/auth/session-auth.ts";
import { FakeClock } from "../helpers.ts";
import { sessionOptions, sessionSuite } from "./session-suite.ts";

sessionSuite("SessionAuth", SessionAuth);

test("SessionAuth is an Auth, and its sessions never expire", async () => {
  const clock = new FakeClock();
  const auth = new SessionAuth(sessionOptions(undefined, { sessionDuration: 1, clock: clock.read }));
  expect(auth).toBeInstanceOf(Auth);
  const sessionId = await auth.createSession("abcde");
  clock.advance(3600);
  expect(await auth.userIdForSessionId(sessionId)).toBe("abcde");
  expect(auth.cookieMaxAge()).toBeUndefined();
});

test("each instance has its own sessions", async () => {
  const a = new SessionAuth(sessionOptions());
  const b = new SessionAuth(sessionOptions());
  const sessionId = await a.createSession("abcde");
  expect(await b.userIdForSessionId(sessionId)).toBeNull();
});

test("forgetUserSessions ends every in-memory session of one user only", async () => {
  const auth = new SessionAuth(sessionOptions());
  const a1 = (await auth.createSession("a"))!;
  const a2 = (await auth.createSession("a"))!;
  const b1 = (await auth.createSession("b"))!;
  expect(auth.forgetUserSessions("a")).toBe(2);
  expect(await auth.userIdForSessionId(a1)).toBeNull();
  expect(await auth.userIdForSessionId(a2)).toBeNull();
  expect(await auth.userIdForSessionId(b1)).toBe("b");
  expect(auth.forgetUserSessions("a")).toBe(0);
});
