import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkUserPassword, newUser, openUserStore, toPublicUser } from "../../src/models/user.ts";
import { stringifySorted } from "../../src/http/responses.ts";
import { FakeClock, legacyUser, tempDir } from "../helpers.ts";

describe("User", () => {
  test("a new user hashes its password and shows no private field", async () => {
    const clock = new FakeClock();
    const user = await newUser({ email: "bob@hbtn.io", password: "H0lbertonSchool98!" }, clock.read);
    expect(user._password).toStartWith("$argon2id$");
    expect(toPublicUser(user)).toEqual({
      id: user.id,
      email: "bob@hbtn.io",
      first_name: null,
      last_name: null,
      created_at: "2017-10-16T04:23:04",
      updated_at: "2017-10-16T04:23:04",
    });
    expect(JSON.stringify(toPublicUser(user))).not.toContain("_password");
  });

  test("extra attributes show, sorted; private ones never do", () => {
    const user = { ...legacyUser("a@b.c", "pw"), nickname: "bee", _secret: "x", age: 3 };
    const json = stringifySorted(toPublicUser(user));
    expect(Object.keys(JSON.parse(json))).toEqual(["age", "created_at", "email", "first_name", "id", "last_name", "nickname", "updated_at"]);
    expect(json).not.toContain("_secret");
    expect(json).not.toContain("_password");
  });

  test("reads a .db_User.json written by the original program", async () => {
    const dir = tempDir();
    const original = {
      "cf3ddee1-ff24-49e4-a40b-2540333fe992": {
        id: "cf3ddee1-ff24-49e4-a40b-2540333fe992",
        created_at: "2017-10-16T04:23:04",
        updated_at: "2017-10-16T04:23:04",
        email: "bobsession@hbtn.io",
        _password: new Bun.CryptoHasher("sha256").update("fake pwd").digest("hex"),
        first_name: null,
        last_name: null,
      },
    };
    writeFileSync(join(dir, ".db_User.json"), JSON.stringify(original));
    const users = openUserStore(dir);
    const [user] = await users.search({ email: "bobsession@hbtn.io" });
    expect(user?.id).toBe("cf3ddee1-ff24-49e4-a40b-2540333fe992");
    expect(await checkUserPassword(users, user!, "fake pwd", Date.now)).toBe(true);
  });

  test("a SHA-256 record is upgraded to argon2id at its first successful check", async () => {
    const dir = tempDir();
    const users = openUserStore(dir);
    const legacy = legacyUser("bob@hbtn.io", "pw");
    await users.save(legacy);
    expect(await checkUserPassword(users, legacy, "wrong", Date.now)).toBe(false);
    expect((await users.get(legacy.id))?._password).toBe(legacy._password);
    expect(await checkUserPassword(users, legacy, "pw", Date.now)).toBe(true);
    const upgraded = (await users.get(legacy.id))!;
    expect(upgraded._password).toStartWith("$argon2id$");
    expect(await checkUserPassword(users, upgraded, "pw", Date.now)).toBe(true);
    expect((await openUserStore(dir).get(legacy.id))?._password).toStartWith("$argon2id$");
  });

  test("non-string passwords never match", async () => {
    const users = openUserStore(tempDir());
    const user = legacyUser("a@b", "pw");
    for (const password of [null, undefined, 5, {}]) expect(await checkUserPassword(users, user, password, Date.now)).toBe(false);
  });
});
