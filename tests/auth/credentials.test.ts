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
