import { describe, expect, test } from "bun:test";
import { checkCredentials } from "../../src/auth/credentials.ts";
import { hashPassword, verifyPassword } from "../../src/domain/password.ts";
import { openUserStore } from "../../src/storage/user-store.ts";
import { legacyUser, tempDir } from "../helpers.ts";

describe("checkCredentials", () => {
  test("unknown email, wrong password, right password", async () => {
    const users = openUserStore(tempDir());
    const user = legacyUser("bob@hbtn.io", "pw");
    await users.save(user);
    expect(await checkCredentials(users, "nobody@hbtn.io", "pw", Date.now)).toEqual({ user: null, failure: "unknown-email" });
    expect(await checkCredentials(users, "bob@hbtn.io", "wrong", Date.now)).toEqual({ user: null, failure: "wrong-password" });
    expect((await checkCredentials(users, "bob@hbtn.io", "pw", Date.now)).user?.id).toBe(user.id);
  });

  test("a SHA-256 record is upgraded to argon2id at its first successful check", async () => {
    const dir = tempDir();
    const users = openUserStore(dir);
    const legacy = legacyUser("bob@hbtn.io", "pw");
    await users.save(legacy);
    await checkCredentials(users, "bob@hbtn.io", "wrong", Date.now);
    expect(users.get(legacy.id)?._password).toBe(legacy._password);
    const { user } = await checkCredentials(users, "bob@hbtn.io", "pw", Date.now);
    expect(user?._password).toStartWith("$argon2id$");
    expect(users.get(legacy.id)?._password).toBe(user!._password);
    expect((await checkCredentials(users, "bob@hbtn.io", "pw", Date.now)).user?.id).toBe(legacy.id);
    expect(openUserStore(dir).get(legacy.id)?._password).toStartWith("$argon2id$");
  });

  test("the upgrade never undoes a password change made while it hashed", async () => {
    const users = openUserStore(tempDir());
    const legacy = legacyUser("bob@hbtn.io", "old");
    await users.save(legacy);
    const newHash = await hashPassword("new");
    const login = checkCredentials(users, "bob@hbtn.io", "old", Date.now);
    const reset = await users.update(legacy.id, { _password: newHash });
    expect(await login).toEqual({ user: null, failure: "wrong-password" });
    expect(users.get(legacy.id)?._password).toBe(reset!._password);
    expect((await verifyPassword("new", users.get(legacy.id)?._password)).valid).toBe(true);
  });

  test("the upgrade never brings back a user deleted while it hashed", async () => {
    const dir = tempDir();
    const users = openUserStore(dir);
    const legacy = legacyUser("bob@hbtn.io", "pw");
    await users.save(legacy);
    const logins = Array.from({ length: 6 }, () => checkCredentials(users, "bob@hbtn.io", "pw", Date.now));
    await Bun.sleep(2);
    expect(await users.remove(legacy.id)).toBe(true);
    await Promise.all(logins);
    expect(users.get(legacy.id)).toBeNull();
    expect(openUserStore(dir).get(legacy.id)).toBeNull();
  });

  test("concurrent first logins of a legacy user all succeed, and one upgrade stands", async () => {
    const users = openUserStore(tempDir());
    const legacy = legacyUser("bob@hbtn.io", "pw");
    await users.save(legacy);
    const results = await Promise.all(Array.from({ length: 6 }, () => checkCredentials(users, "bob@hbtn.io", "pw", Date.now)));
    expect(results.map((result) => result.failure)).toEqual(Array(6).fill(null));
    const stored = users.get(legacy.id)!._password!;
    expect(stored).toStartWith("$argon2id$");
    // Each answer is the record as stored after its check: every session opened from it stands.
    for (const { user } of results) expect(user?._password).toBe(stored);
  });
});

describe("CredentialsCheck: an attempt held for a second factor", () => {
  /** Bob with a password, behind an account limit of 2 and a client limit of 3. */
  async function setUp() {
    const { CredentialsCheck } = await import("../../src/auth/credentials.ts");
    const { LoginThrottle, ThrottledError } = await import("../../src/auth/throttle.ts");
    const users = openUserStore(tempDir());
    await users.save(legacyUser("bob@hbtn.io", "pw"));
    const throttle = new LoginThrottle({ perClient: { maxFailures: 3, windowSeconds: 60 }, perAccount: { maxFailures: 2, windowSeconds: 60 }, clock: Date.now });
    const check = new CredentialsCheck(users, Date.now, throttle);
    const hold = { hold: async () => true };
    return { check, hold, ThrottledError };
  }

  test.each([
    // outcome settled each time → whether the third attempt is refused unchecked
    ["wrong", true],
    ["absent", false],
    ["ok", false],
  ] as const)("settled %p: the account's limit is %s reached after two", async (outcome, refused) => {
    const { check, hold, ThrottledError } = await setUp();
    for (let i = 0; i < 2; i++) {
      const result = await check.check("bob@hbtn.io", "pw", "10.0.0.1", hold);
      expect(result.user?.email).toBe("bob@hbtn.io");
      await result.held!.settle(outcome);
    }
    const third = check.check("bob@hbtn.io", "pw", "10.0.0.1", hold);
    if (refused) await expect(third).rejects.toThrow(ThrottledError);
    else expect((await third).user?.email).toBe("bob@hbtn.io");
  });

  test("without a hold, a right password is forgiven at once, as before", async () => {
    const { check } = await setUp();
    for (let i = 0; i < 5; i++) expect((await check.check("bob@hbtn.io", "pw", "10.0.0.1")).held).toBeUndefined();
  });

  test("checkCode counts a wrong code and forgives a right one", async () => {
    const { check, ThrottledError } = await setUp();
    const bob = legacyUser("bob@hbtn.io", "pw");
    expect(await check.checkCode(bob, "10.0.0.2", async () => true)).toBe(true);
    expect(await check.checkCode(bob, "10.0.0.2", async () => false)).toBe(false);
    expect(await check.checkCode(bob, "10.0.0.2", async () => false)).toBe(false);
    await expect(check.checkCode(bob, "10.0.0.2", async () => true)).rejects.toThrow(ThrottledError);
  });
});
