/** One suite of SessionAuth behaviours (main_1, main_2, main_4, destroy_session), run against each session strategy. */
import { describe, expect, test } from "bun:test";
import type { AuthOptions } from "../../src/auth/auth.ts";
import { type SessionAuth, sessionKey } from "../../src/auth/session-auth.ts";
import { legacySha256 } from "../../src/domain/password.ts";
import { eitherFingerprint, hashFingerprint, passwordFingerprint, type UserRecord } from "../../src/domain/user.ts";
import { openUserStore } from "../../src/storage/user-store.ts";
import { JsonFileSessionStore } from "../../src/storage/json-file/session-store.ts";
import { FakeClock, legacyUser, tempDir } from "../helpers.ts";

export type SessionStrategy = new (options: AuthOptions) => SessionAuth;

export function sessionOptions(dataDir = tempDir(), overrides: Partial<AuthOptions> = {}): AuthOptions {
  return {
    users: openUserStore(dataDir),
    sessions: JsonFileSessionStore.open(dataDir),
    sessionName: "_my_session_id",
    sessionDuration: 0,
    clock: new FakeClock().read,
    ...overrides,
  };
}

export const withCookie = (value: string) => new Request("http://127.0.0.1/", { headers: { Cookie: `_my_session_id=${value}` } });

/** A strategy over stores holding one user, with a session of that user's and a request carrying it. */
export async function userWithSession(Strategy: SessionStrategy, options: AuthOptions = sessionOptions()) {
  const user = legacyUser(`${crypto.randomUUID()}@hbtn.io`, "fake pwd");
  await options.users.save(user);
  const auth = new Strategy(options);
  const sessionId = (await auth.createSession(user.id))!;
  return { auth, user, sessionId, request: withCookie(sessionId) };
}

export function sessionSuite(name: string, Strategy: SessionStrategy): void {
  describe(`${name}: sessions`, () => {
    test("createSession refuses anything but a string (main_1)", async () => {
      const auth = new Strategy(sessionOptions());
      expect(await auth.createSession(null)).toBeNull();
      expect(await auth.createSession(undefined)).toBeNull();
      expect(await auth.createSession(89)).toBeNull();
      expect(await auth.createSession({})).toBeNull();
    });

    test("createSession gives a fresh UUID v4 per call, several per user (main_1)", async () => {
      const auth = new Strategy(sessionOptions());
      const first = await auth.createSession("abcde");
      const second = await auth.createSession("fghij");
      const third = await auth.createSession("abcde");
      for (const id of [first, second, third]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(new Set([first, second, third]).size).toBe(3);
      expect(await auth.userIdForSessionId(first)).toBe("abcde");
      expect(await auth.userIdForSessionId(second)).toBe("fghij");
      expect(await auth.userIdForSessionId(third)).toBe("abcde");
    });

    test("userIdForSessionId is null unless a known string (main_2)", async () => {
      const auth = new Strategy(sessionOptions());
      await auth.createSession("abcde");
      expect(await auth.userIdForSessionId(null)).toBeNull();
      expect(await auth.userIdForSessionId(89)).toBeNull();
      expect(await auth.userIdForSessionId("doesntexist")).toBeNull();
    });

    test("currentUser follows the cookie to the user (main_4)", async () => {
      const options = sessionOptions();
      const user = legacyUser("bobsession@hbtn.io", "fake pwd");
      await options.users.save(user);
      const auth = new Strategy(options);
      const sessionId = (await auth.createSession(user.id))!;
      expect(await auth.currentUser(new Request("http://127.0.0.1/"))).toBeNull();
      expect(await auth.currentUser(withCookie("Holberton"))).toBeNull();
      expect((await auth.currentUser(withCookie(sessionId)))?.id).toBe(user.id);
      expect(await auth.currentUser(null)).toBeNull();
    });

    test("a session whose user is gone yields no user", async () => {
      const auth = new Strategy(sessionOptions());
      const sessionId = (await auth.createSession("no-such-user"))!;
      expect(await auth.currentUser(withCookie(sessionId))).toBeNull();
    });

    test("destroySession: false without request, cookie or session; else true, once", async () => {
      const auth = new Strategy(sessionOptions());
      const sessionId = (await auth.createSession("abcde"))!;
      const other = (await auth.createSession("abcde"))!;
      expect(await auth.destroySession(null)).toBe(false);
      expect(await auth.destroySession(new Request("http://127.0.0.1/"))).toBe(false);
      expect(await auth.destroySession(withCookie("doesntexist"))).toBe(false);
      expect(await auth.destroySession(withCookie(sessionId))).toBe(true);
      expect(await auth.userIdForSessionId(sessionId)).toBeNull();
      expect(await auth.destroySession(withCookie(sessionId))).toBe(false);
      expect(await auth.userIdForSessionId(other)).toBe("abcde");
    });

    test("with stores in memory, currentUser answers without a promise", async () => {
      const { auth, user, request } = await userWithSession(Strategy);
      const answers = [new Request("http://127.0.0.1/"), withCookie("Holberton"), request].map((request) => auth.currentUser(request));
      for (const answer of answers) expect(answer).not.toBeInstanceOf(Promise);
      expect(answers.map((found) => (found as { id: string } | null)?.id ?? null)).toEqual([null, null, user.id]);
      // A session whose user is gone is refused, once it has been ended.
      const orphan = (await auth.createSession("no-such-user"))!;
      expect(await auth.currentUser(withCookie(orphan))).toBeNull();
      expect(await auth.userIdForSessionId(orphan)).toBeNull();
    });

    test("a store that answers with promises (as PostgreSQL and Redis do) gives the same answers", async () => {
      const options = sessionOptions();
      const later = <S extends object>(store: S): S =>
        new Proxy(store, {
          get(target, key) {
            const value = Reflect.get(target, key, target);
            if (key === "get" || key === "search" || key === "findByKey") return (...args: unknown[]) => Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args));
            return typeof value === "function" ? value.bind(target) : value;
          },
        });
      const { auth, user, request } = await userWithSession(Strategy, { ...options, users: later(options.users), sessions: later(options.sessions!) });
      const answer = auth.currentUser(request);
      expect(answer).toBeInstanceOf(Promise);
      expect((await answer)?.id).toBe(user.id);
      expect(await auth.currentUser(withCookie("Holberton"))).toBeNull();
    });

    test("a session ends when its user's password changes, and when its user is deleted", async () => {
      const options = sessionOptions();
      const { auth, user } = await userWithSession(Strategy, options);
      const opened = async () => {
        const sessionId = (await auth.createSession(user.id, { fingerprint: passwordFingerprint((await options.users.get(user.id))!) }))!;
        expect((await auth.currentUser(withCookie(sessionId)))?.id).toBe(user.id);
        return sessionId;
      };
      const first = await opened();
      await options.users.update(user.id, { _password: legacySha256("a new password") });
      expect(await auth.currentUser(withCookie(first))).toBeNull();
      expect(await auth.userIdForSessionId(first)).toBeNull(); // ended on sight, not merely refused

      const second = await opened();
      await options.users.remove(user.id);
      expect(await auth.currentUser(withCookie(second))).toBeNull();
      expect(await auth.userIdForSessionId(second)).toBeNull();
    });

    test("a session kept through its own password change gets a second look before it ends: a request may read the user before the change and the session after", async () => {
      const options = sessionOptions();
      // Reads of the user as a request that started before the change makes them.
      let stale: UserRecord | null = null;
      const users = new Proxy(options.users, {
        get(target, key) {
          const value = Reflect.get(target, key, target);
          if (key === "get") return (id: string, read?: { fresh?: boolean }) => (stale !== null && !read?.fresh ? stale : target.get(id, read));
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const { auth, user } = await userWithSession(Strategy, { ...options, users });
      const before = (await users.get(user.id))!;
      const open = async () => (await auth.createSession(user.id, { fingerprint: passwordFingerprint(before) }))!;
      const [kept, other] = [await open(), await open()];
      const standing = async (sessionId: string) => (await auth.currentUser(withCookie(sessionId)))?.id ?? null;
      const after = (await users.update(user.id, { _password: legacySha256("a new password") }))!;
      await auth.sessions.refreshFingerprint((await auth.requestSession(withCookie(kept)))!, passwordFingerprint(after));
      stale = before;
      expect(await standing(kept)).toBe(user.id);
      stale = null;
      expect(await standing(kept)).toBe(user.id);
      expect(await standing(other)).toBeNull();
      expect(await auth.userIdForSessionId(other)).toBeNull();
    });

    test("while its own password changes, a session stands under the old hash and the new one; after, under the new one only", async () => {
      const options = sessionOptions();
      const { auth, user } = await userWithSession(Strategy, options);
      const before = (await options.users.get(user.id))!;
      const kept = (await auth.createSession(user.id, { fingerprint: passwordFingerprint(before) }))!;
      const standing = async () => (await auth.currentUser(withCookie(kept)))?.id ?? null;
      const found = (await auth.requestSession(withCookie(kept)))!;
      const hash = legacySha256("a new password");
      await auth.sessions.refreshFingerprint(found, eitherFingerprint(passwordFingerprint(before), hashFingerprint(hash)));
      expect(await standing()).toBe(user.id);
      const after = (await options.users.update(user.id, { _password: hash }))!;
      expect(await standing()).toBe(user.id);
      await auth.sessions.refreshFingerprint(found, passwordFingerprint(after));
      expect(await standing()).toBe(user.id);
      await options.users.update(user.id, { _password: before._password });
      expect(await standing()).toBeNull();
    });

    test("the session id itself is not what is kept", async () => {
      const auth = new Strategy(sessionOptions());
      const sessionId = (await auth.createSession("abcde"))!;
      const stored = await auth.sessions.store.list();
      expect(stored.map((record) => record.session_id)).toEqual([sessionKey(sessionId)]);
      expect(JSON.stringify(stored)).not.toContain(sessionId);
    });
  });
}

/** Expiry, for the strategies that honour SESSION_DURATION (main of task 9). */
export function expirySuite(name: string, Strategy: SessionStrategy): void {
  describe(`${name}: expiry`, () => {
    test("a session lives SESSION_DURATION seconds, then yields no user", async () => {
      const clock = new FakeClock();
      const auth = new Strategy(sessionOptions(tempDir(), { sessionDuration: 60, clock: clock.read }));
      const sessionId = (await auth.createSession("abcde"))!;
      clock.advance(10);
      expect(await auth.userIdForSessionId(sessionId)).toBe("abcde");
      clock.advance(50);
      expect(await auth.userIdForSessionId(sessionId)).toBe("abcde");
      clock.advance(1);
      expect(await auth.userIdForSessionId(sessionId)).toBeNull();
      clock.advance(-61);
      expect(await auth.userIdForSessionId(sessionId)).toBeNull(); // purged, not merely hidden
    });

    test("a duration of 0 or less never expires", async () => {
      for (const sessionDuration of [0, -5]) {
        const clock = new FakeClock();
        const auth = new Strategy(sessionOptions(tempDir(), { sessionDuration, clock: clock.read }));
        const sessionId = (await auth.createSession("abcde"))!;
        clock.advance(10 * 365 * 86400);
        expect(await auth.userIdForSessionId(sessionId)).toBe("abcde");
      }
    });

    test("the cookie carries Max-Age when sessions expire", () => {
      expect(new Strategy(sessionOptions(tempDir(), { sessionDuration: 60 })).cookieMaxAge()).toBe(60);
      expect(new Strategy(sessionOptions(tempDir(), { sessionDuration: 0 })).cookieMaxAge()).toBeUndefined();
    });
  });
}

/** The sweep: expired sessions go, live ones stay, and it stops at the first live one. */
export function purgeSuite(name: string, Strategy: SessionStrategy & { prototype: { purgeExpired(): Promise<number> } }): void {
  test(`${name}: purgeExpired removes exactly the expired sessions`, async () => {
    const clock = new FakeClock();
    const auth = new Strategy(sessionOptions(tempDir(), { sessionDuration: 60, clock: clock.read })) as SessionAuth & { purgeExpired(): Promise<number> };
    const old = await Promise.all([auth.createSession("a"), auth.createSession("b")]);
    clock.advance(30);
    const fresh = await auth.createSession("c");
    clock.advance(31);
    expect(await auth.purgeExpired()).toBe(2);
    expect(await auth.purgeExpired()).toBe(0);
    for (const id of old) expect(await auth.userIdForSessionId(id)).toBeNull();
    expect(await auth.userIdForSessionId(fresh)).toBe("c");
    clock.advance(30);
    expect(await auth.purgeExpired()).toBe(1);
  });
}
