/**
 * The writes that name what they change (update with compare-and-set, removeWhere), one suite
 * run against every backend that stores sessions: JSON files, PostgreSQL, Redis.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { openStores } from "../../src/models/stores.ts";
import type { UserSessionRecord, UserSessionStore } from "../../src/models/user-session.ts";
import { BACKENDS, backendEnv, tempDir, testConfig } from "../helpers.ts";

const session = (userId: string, fingerprint?: string): UserSessionRecord => {
  const record: UserSessionRecord = { id: crypto.randomUUID(), created_at: "2020-01-01T00:00:00", updated_at: "2020-01-01T00:00:00", user_id: userId, session_id: Bun.SHA256.hash(crypto.randomUUID(), "hex") };
  if (fingerprint) record.password_fingerprint = fingerprint;
  return record;
};

for (const backend of BACKENDS) {
  describe(`[${backend}] UserSession store`, () => {
    const opened: ReturnType<typeof openStores>[] = [];
    afterAll(async () => {
      await Promise.all(opened.map((stores) => stores.close()));
    });
    const fresh = (): UserSessionStore => {
      const dir = tempDir();
      const stores = openStores(testConfig(backendEnv(backend, dir), dir), true);
      opened.push(stores);
      return stores.userSessions!;
    };

    test("update changes the named fields only, and never brings back a removed record", async () => {
      const store = fresh();
      const record = session("u1", "fp-1");
      await store.save(record);
      const updated = await store.update(record.id, { updated_at: "2020-01-02T00:00:00" });
      expect(updated).toEqual({ ...record, updated_at: "2020-01-02T00:00:00" });
      expect(await store.get(record.id)).toEqual(updated);
      expect(await store.remove(record.id)).toBe(true);
      expect(await store.update(record.id, { updated_at: "2020-01-03T00:00:00" })).toBeNull();
      expect(await store.get(record.id)).toBeNull();
      expect(await store.search({ session_id: record.session_id })).toEqual([]);
    });

    test("update with expect is a compare-and-set", async () => {
      const store = fresh();
      const record = session("u1", "fp-1");
      await store.save(record);
      expect(await store.update(record.id, { updated_at: "2020-01-02T00:00:00" }, { expect: { password_fingerprint: "fp-other" } })).toBeNull();
      expect((await store.get(record.id))?.updated_at).toBe("2020-01-01T00:00:00");
      expect(await store.update(record.id, { password_fingerprint: "fp-2" }, { expect: { password_fingerprint: "fp-1" } })).toMatchObject({ password_fingerprint: "fp-2" });
      expect((await store.search({ session_id: record.session_id }))[0]?.password_fingerprint).toBe("fp-2");
    });

    test("removeWhere removes every session of one user, and only those", async () => {
      const store = fresh();
      const mine = [session("u1"), session("u1"), session("u1")];
      const theirs = session("u2");
      await Promise.all([...mine, theirs].map((record) => store.save(record)));
      expect(await store.removeWhere({ user_id: "u1" })).toBe(3);
      expect(await store.search({ user_id: "u1" })).toEqual([]);
      for (const record of mine) expect(await store.search({ session_id: record.session_id })).toEqual([]);
      expect((await store.search({ user_id: "u2" })).map((record) => record.id)).toEqual([theirs.id]);
      expect(await store.removeWhere({ user_id: "u1" })).toBe(0);
    });
  });
}
