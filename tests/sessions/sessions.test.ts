/** The Sessions service over the memory store (the store suite covers every backend; the auth suites every strategy). */
import { expect, test } from "bun:test";
import { legacySha256 } from "../../src/domain/password.ts";
import { MemorySessionStore } from "../../src/storage/memory/session-store.ts";
import { passwordFingerprint, type UserRecord } from "../../src/domain/user.ts";
import { openUserStore } from "../../src/storage/user-store.ts";
import { type SessionPolicy, Sessions } from "../../src/sessions/sessions.ts";
import { FakeClock, legacyUser, tempDir } from "../helpers.ts";

async function setUp(policy: SessionPolicy = { duration: 0, idleTimeout: 0 }) {
  const clock = new FakeClock();
  const users = openUserStore(tempDir());
  const user = legacyUser(`${crypto.randomUUID()}@hbtn.io`, "old password");
  const other = legacyUser(`${crypto.randomUUID()}@hbtn.io`, "theirs");
  await Promise.all([users.save(user), users.save(other)]);
  const sessions = new Sessions(new MemorySessionStore(), users, policy, clock.read);
  const login = async (who: UserRecord) => {
    const made = await sessions.createForLogin(who);
    if (!("sessionId" in made)) throw new Error(made.refused);
    return made.sessionId;
  };
  return { clock, users, user, other, sessions, login };
}

test("a password change with no session to keep (the command line's) ends every session of the user, and only theirs", async () => {
  const { users, user, other, sessions, login } = await setUp();
  const mine = [await login(user), await login(user)];
  const theirs = await login(other);
  const changed = await sessions.changePassword(user, legacySha256("new password"));
  expect(changed?.ended).toBe(2);
  expect(changed?.user._password).toBe(legacySha256("new password"));
  expect((await users.get(user.id))?._password).toBe(legacySha256("new password"));
  for (const sessionId of mine) expect(await sessions.find(sessionId)).toBeNull();
  expect((await sessions.userFor(theirs))?.id).toBe(other.id);
});

test("a password change keeping the session it came on: that one goes on under the new password, the others end", async () => {
  const { user, sessions, login } = await setUp();
  const kept = await login(user);
  const other = await login(user);
  const changed = await sessions.changePassword(user, legacySha256("new password"), { keep: (await sessions.find(kept))!, expectHash: user._password });
  expect(changed?.ended).toBe(1);
  expect(await sessions.find(other)).toBeNull();
  expect((await sessions.find(kept))?.fingerprint).toBe(passwordFingerprint(changed!.user));
  expect((await sessions.userFor(kept))?.id).toBe(user.id);
});

test("a password change that lost a race changes nothing: the user keeps the winner's password, the session its fingerprint", async () => {
  const { users, user, sessions, login } = await setUp();
  const kept = await login(user);
  const winner = (await users.update(user.id, { _password: legacySha256("the winner") }))!;
  const session = (await sessions.find(kept))!;
  expect(await sessions.changePassword(user, legacySha256("the loser"), { keep: session, expectHash: user._password })).toBeNull();
  expect((await users.get(user.id))?._password).toBe(winner._password);
  expect((await sessions.find(kept))?.fingerprint).toBe(passwordFingerprint(user));
  // …and the session then ends: it was opened under the password that changed.
  expect(await sessions.userFor(kept)).toBeNull();
  expect(await sessions.find(kept)).toBeNull();
});

test("no session outlives its user: a login whose user went or changed password meanwhile is refused and leaves no session", async () => {
  const { users, user, sessions } = await setUp();
  const stale = { ...user, _password: legacySha256("checked before a change") };
  expect(await sessions.createForLogin(stale)).toEqual({ refused: "password-changed" });
  await users.remove(user.id);
  expect(await sessions.createForLogin(user)).toEqual({ refused: "user-deleted" });
  expect(sessions.store.count()).toBe(0);
});

test("a session of a deleted user ends at its next use", async () => {
  const { users, user, sessions, login } = await setUp();
  const sessionId = await login(user);
  await users.remove(user.id);
  expect(await sessions.userFor(sessionId)).toBeNull();
  expect(sessions.store.count()).toBe(0);
});

test("expiry: SESSION_DURATION however busy, SESSION_IDLE_TIMEOUT without use; the sweep removes both, and nothing early", async () => {
  const { clock, user, sessions, login } = await setUp({ duration: 3600, idleTimeout: 600 });
  const busy = await login(user);
  const idle = await login(user);
  for (let minute = 1; minute <= 59; minute++) {
    clock.advance(60);
    expect((await sessions.userFor(busy))?.id).toBe(user.id);
  }
  expect(await sessions.sweep()).toBe(1);
  expect(await sessions.find(idle)).toBeNull();
  clock.advance(60);
  expect(await sessions.sweep()).toBe(0);
  clock.advance(1);
  expect(await sessions.sweep()).toBe(1);
  expect(sessions.store.count()).toBe(0);
  expect(sessions.lifetime()).toBe(600);
  expect(sessions.cookieMaxAge()).toBe(3600);
});

test("a session proves the factors its sign-in passed; one made by a password alone proves a password", async () => {
  const { user, sessions, login } = await setUp();
  const plain = await login(user);
  const made = await sessions.createForLogin(user, { factors: ["password", "totp"] });
  if (!("sessionId" in made)) throw new Error(made.refused);
  expect((await sessions.find(plain))?.factors).toEqual(["password"]);
  expect((await sessions.find(made.sessionId))?.factors).toEqual(["password", "totp"]);
  const listed = await sessions.list(user);
  expect(listed.map((session) => session.factors).sort()).toEqual([["password"], ["password", "totp"]]);
});
