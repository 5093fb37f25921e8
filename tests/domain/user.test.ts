import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkCredentials } from "../../src/auth/credentials.ts";
import { newUser, toPublicUser } from "../../src/domain/user.ts";
import { openUserStore } from "../../src/storage/user-store.ts";
import { stringifySorted } from "../../src/sorted-json.ts";
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
    expect((await checkCredentials(users, "bobsession@hbtn.io", "fake pwd", Date.now)).user?.id).toBe(user!.id);
  });
});
