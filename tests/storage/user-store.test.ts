/**
 * One suite of RecordStore behaviours for users, run against every backend that stores them:
 * the JSON files and PostgreSQL.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { UniqueConstraintError } from "../../src/storage/record-store.ts";
import { openStores } from "../../src/storage/stores.ts";
import type { UserRecord } from "../../src/domain/user.ts";
import type { UserStore } from "../../src/storage/user-store.ts";
import { available, BACKENDS, backendEnv, legacyUser, tempDir, testConfig } from "../helpers.ts";

for (const backend of BACKENDS.filter((name) => name !== "postgres+redis")) {
  const where = backend === "postgres" ? "postgresql" : "json files";
  describe.skipIf(!available(backend))(`[${where}] user RecordStore`, () => {
    const opened: ReturnType<typeof openStores>[] = [];
    afterAll(async () => {
      await Promise.all(opened.map((stores) => stores.close()));
    });
    const fresh = (dir = tempDir()): UserStore => {
      const stores = openStores(testConfig(backendEnv(backend, dir), dir), false);
      opened.push(stores);
      expect(stores.users.backend).toBe(where);
      return stores.users;
    };
    const user = (email: string | null, extra: Partial<UserRecord> = {}): UserRecord => ({ ...legacyUser(email ?? "x", "pw"), email, ...extra });

    test("save, get, search, all, count, remove", async () => {
      const users = fresh();
      const [bob, ann] = [user("bob@hbtn.io", { first_name: "Bob" }), user("ann@hbtn.io", { created_at: "2017-01-01T00:00:00" })];
      await users.save(bob);
      await users.save(ann);
      expect(await users.get(bob.id)).toEqual(bob);
      expect(await users.get("nobody")).toBeNull();
      expect(await users.search({ email: "bob@hbtn.io" })).toEqual([bob]);
      expect(await users.search({ email: "bob@hbtn.io", first_name: "Bob" })).toEqual([bob]);
      expect(await users.search({ email: "bob@hbtn.io", first_name: "Robert" })).toEqual([]);
      expect(await users.search({ first_name: null })).toEqual([ann]);
      expect((await users.all()).map((u) => u.id).sort()).toEqual([bob.id, ann.id].sort());
      expect(await users.count()).toBe(2);
      expect(await users.remove(bob.id)).toBe(true);
      expect(await users.remove(bob.id)).toBe(false);
      expect(await users.get(bob.id)).toBeNull();
      expect(await users.count()).toBe(1);
    });

    test("get and search with fresh see what another store on the same data wrote a moment ago", async () => {
      const dir = tempDir();
      const [writer, reader] = [fresh(dir), fresh(dir)];
      const bob = user("bob@hbtn.io");
      await writer.save(bob);
      // Asked at once, before this process could hear of the write from a file event.
      expect(await reader.search({ email: "bob@hbtn.io" }, { fresh: true })).toEqual([bob]);
      const ann = user("ann@hbtn.io");
      await writer.save(ann);
      expect(await reader.get(ann.id, { fresh: true })).toEqual(ann);
    });

    test("records come back frozen: only the store changes them", async () => {
      const users = fresh();
      const bob = user("bob@hbtn.io");
      await users.save(bob);
      expect(Object.isFrozen(await users.get(bob.id))).toBe(true);
    });

    test("email is unique: a second holder is refused, re-saving the same user is not", async () => {
      const users = fresh();
      const bob = user("bob@hbtn.io");
      await users.save(bob);
      await users.save({ ...bob, first_name: "Bob" });
      await expect(users.save(user("bob@hbtn.io"))).rejects.toBeInstanceOf(UniqueConstraintError);
      expect(await users.count()).toBe(1);
    });

    test("update changes the named fields of the stored record; never brings back a removed one", async () => {
      const users = fresh();
      const bob = user("bob@hbtn.io", { first_name: "Bob" });
      await users.save(bob);
      const updated = await users.update(bob.id, { last_name: "Dylan" });
      expect(updated).toEqual({ ...bob, last_name: "Dylan" });
      expect(await users.get(bob.id)).toEqual(updated!);
      await users.remove(bob.id);
      expect(await users.update(bob.id, { last_name: "Marley" })).toBeNull();
      expect(await users.get(bob.id)).toBeNull();
    });

    test("update with expect is a compare-and-set; a unique field is checked only when it changes", async () => {
      const users = fresh();
      const [bob, ann] = [user("bob@hbtn.io"), user("ann@hbtn.io")];
      await Promise.all([users.save(bob), users.save(ann)]);
      expect(await users.update(bob.id, { _password: "new" }, { expect: { _password: "not the hash" } })).toBeNull();
      expect((await users.get(bob.id))?._password).toBe(bob._password);
      expect(await users.update(bob.id, { _password: "new" }, { expect: { _password: bob._password } })).toMatchObject({ _password: "new" });
      await expect(users.update(bob.id, { email: "ann@hbtn.io" })).rejects.toBeInstanceOf(UniqueConstraintError);
      expect(await users.update(bob.id, { email: "bob@hbtn.io", first_name: "B" })).toMatchObject({ first_name: "B" });
    });

    test("concurrent updates of different fields both land", async () => {
      const users = fresh();
      const bob = user("bob@hbtn.io");
      await users.save(bob);
      await Promise.all([users.update(bob.id, { first_name: "Bob" }), users.update(bob.id, { last_name: "Dylan" })]);
      expect(await users.get(bob.id)).toMatchObject({ first_name: "Bob", last_name: "Dylan" });
    });

    test("removeWhere removes the matching records as stored when it runs", async () => {
      const users = fresh();
      const records = [user("a@x", { first_name: "A" }), user("b@x", { first_name: "A" }), user("c@x", { first_name: "C" })];
      await Promise.all(records.map((record) => users.save(record)));
      expect(await users.removeWhere({ first_name: "A" })).toBe(2);
      expect((await users.all()).map((u) => u.email)).toEqual(["c@x"]);
      expect(await users.removeWhere({ first_name: "A" })).toBe(0);
    });
  });
}
