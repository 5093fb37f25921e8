/**
 * One suite of SessionStore behaviours, run against every backend that keeps sessions: this
 * process's memory, the JSON files, PostgreSQL and Redis. A backend change fails here, not deep
 * in the API tests.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { formatTimestamp, parseTimestamp } from "../../src/domain/base.ts";
import { MemorySessionStore } from "../../src/storage/memory/session-store.ts";
import type { SessionStore } from "../../src/storage/session-store.ts";
import { openStores } from "../../src/storage/stores.ts";
import { createdBefore, createdBeforeTimestamp, type UserSessionRecord } from "../../src/domain/user-session.ts";
import { available, BACKENDS, backendEnv, tempDir, testConfig } from "../helpers.ts";

const session = (userId: string, createdAt = "2020-01-01T00:00:00", fingerprint?: string): UserSessionRecord => {
  const record: UserSessionRecord = { id: crypto.randomUUID(), created_at: createdAt, updated_at: createdAt, user_id: userId, session_id: Bun.SHA256.hash(crypto.randomUUID(), "hex") };
  if (fingerprint) record.password_fingerprint = fingerprint;
  return record;
};

const ids = (records: readonly UserSessionRecord[]) => records.map((record) => record.id);

test("createdBeforeTimestamp is the text bound that createdBefore is in time", () => {
  const start = Date.UTC(2020, 0, 1);
  for (let moment = start - 3000; moment <= start + 3000; moment += 250) {
    const bound = createdBeforeTimestamp(moment);
    for (let second = -4; second <= 4; second++) {
      const createdAt = formatTimestamp(start + second * 1000);
      expect(createdAt < bound).toBe(createdBefore(session("u", createdAt), moment));
    }
  }
  expect(createdBefore(session("u", "not a time"), start)).toBe(true);
});

for (const backend of ["memory", ...BACKENDS] as const) {
  const where = backend === "memory" ? "memory" : backend === "postgres+redis" ? "redis" : backend === "postgres" ? "postgresql" : "json files";
  describe.skipIf(backend !== "memory" && !available(backend))(`[${where}] SessionStore`, () => {
    const opened: ReturnType<typeof openStores>[] = [];
    afterAll(async () => {
      await Promise.all(opened.map((stores) => stores.close()));
    });
    // Memory's "same data" is the same store: one per folder, as a process keeps one.
    const inMemory = new Map<string, MemorySessionStore>();
    const fresh = (env: Record<string, string> = {}, dir = tempDir()): SessionStore => {
      if (backend === "memory") {
        if (!inMemory.has(dir)) inMemory.set(dir, new MemorySessionStore());
        return inMemory.get(dir)!;
      }
      const stores = openStores(testConfig({ ...backendEnv(backend, dir), ...env }, dir), true);
      opened.push(stores);
      expect(stores.sessions!.backend).toBe(where);
      return stores.sessions!;
    };

    test("create, then findByKey gives the record back; an unknown key gives null", async () => {
      const store = fresh();
      const record = session("u1", "2020-01-01T00:00:00", "fp-1");
      await store.create(record);
      expect(await store.findByKey(record.session_id)).toEqual(record);
      expect(await store.findByKey(Bun.SHA256.hash("other", "hex"))).toBeNull();
      const original = session("u1");
      await store.create(original);
      expect(await store.findByKey(original.session_id)).toEqual(original);
      expect(await store.count()).toBe(2);
    });

    test("what one store wrote, another on the same data finds (a restart, a second instance)", async () => {
      const dir = tempDir();
      const first = fresh({}, dir);
      const record = session("u1");
      await first.create(record);
      await first.close();
      expect(await fresh({}, dir).findByKey(record.session_id)).toEqual(record);
    });

    test("a session's factors are stored and read back as written, beside one that has none", async () => {
      const dir = tempDir();
      const first = fresh({}, dir);
      const twoFactor = { ...session("u1"), factors: "password,totp" };
      const passwordOnly = session("u1");
      await first.create(twoFactor);
      await first.create(passwordOnly);
      await first.close();
      const again = fresh({}, dir);
      expect(await again.findByKey(twoFactor.session_id)).toEqual(twoFactor);
      expect(await again.findByKey(passwordOnly.session_id)).toEqual(passwordOnly);
      expect((await again.findByKey(passwordOnly.session_id))!.factors).toBeUndefined();
    });

    test("touch with an expectation is a compare-and-set: it changes only a session that still holds the values", async () => {
      const dir = tempDir();
      const store = fresh({}, dir);
      const record = session("u1", "2020-01-01T00:00:00", "aaaa");
      const original = session("u1");
      await store.create(record);
      await store.create(original);
      expect(await store.touch(record.id, { password_fingerprint: "bbbb cccc" }, { password_fingerprint: "zzzz" })).toBe(false);
      expect((await store.findByKey(record.session_id))?.password_fingerprint).toBe("aaaa");
      expect(await store.touch(record.id, { password_fingerprint: "bbbb cccc" }, { password_fingerprint: "aaaa" })).toBe(true);
      expect(await store.touch(record.id, { password_fingerprint: "dddd" }, { password_fingerprint: "aaaa" })).toBe(false);
      expect(await store.touch(record.id, { password_fingerprint: "cccc" }, { password_fingerprint: "bbbb cccc" })).toBe(true);
      expect(await store.touch(crypto.randomUUID(), { password_fingerprint: "x" }, { password_fingerprint: "cccc" })).toBe(false);
      // null expects the field absent, as in the original program's records.
      expect(await store.touch(original.id, { password_fingerprint: "eeee" }, { password_fingerprint: "aaaa" })).toBe(false);
      expect(await store.touch(original.id, { password_fingerprint: "eeee" }, { password_fingerprint: null })).toBe(true);
      await store.close();
      const again = fresh({}, dir);
      expect((await again.findByKey(record.session_id))?.password_fingerprint).toBe("cccc");
      expect((await again.findByKey(original.session_id))?.password_fingerprint).toBe("eeee");
    });

    test("list gives every session, or one user's, oldest first", async () => {
      const store = fresh();
      const newer = session("u1", "2020-01-01T00:00:05");
      const older = session("u2", "2020-01-01T00:00:01");
      const third = session("u1", "2020-01-01T00:00:09");
      for (const record of [newer, older, third]) await store.create(record);
      expect(ids(await store.list())).toEqual([older.id, newer.id, third.id]);
      expect(ids(await store.list("u1"))).toEqual([newer.id, third.id]);
      expect(await store.list("nobody")).toEqual([]);
    });

    test("remove ends one session by record id, once", async () => {
      const store = fresh();
      const [kept, removed] = [session("u1"), session("u1")];
      await Promise.all([kept, removed].map((record) => store.create(record)));
      expect(await store.remove(removed.id)).toBe(true);
      expect(await store.remove(removed.id)).toBe(false);
      expect(await store.findByKey(removed.session_id)).toBeNull();
      expect(ids(await store.list("u1"))).toEqual([kept.id]);
      expect(await store.count()).toBe(1);
    });

    test("removes in any order, the same record created again, and other users between: each user's list is what is left", async () => {
      const store = fresh();
      const users = ["u1", "u2", "u3"];
      const live = new Map<string, UserSessionRecord>();
      let seed = 7;
      const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
      for (let step = 0; step < 120; step++) {
        const existing = [...live.values()];
        if (existing.length > 0 && next(3) === 0) {
          const record = existing[next(existing.length)]!;
          expect(await store.remove(record.id)).toBe(true);
          live.delete(record.id);
        } else if (existing.length > 0 && next(5) === 0) {
          // The same id stored again (a create replaces): listed once.
          const record = existing[next(existing.length)]!;
          await store.create(record);
        } else {
          const record = session(users[next(users.length)]!, `2020-01-01T00:${String(next(60)).padStart(2, "0")}:00`);
          await store.create(record);
          live.set(record.id, record);
        }
      }
      for (const user of [...users, "nobody"]) {
        const expected = [...live.values()].filter((record) => record.user_id === user).map((record) => record.id);
        expect(ids(await store.list(user)).sort()).toEqual(expected.sort());
      }
      expect(await store.count()).toBe(live.size);
    });

    test("removeByUser removes every session of one user, and only those", async () => {
      const store = fresh();
      const mine = [session("u1"), session("u1"), session("u1")];
      const theirs = session("u2");
      await Promise.all([...mine, theirs].map((record) => store.create(record)));
      expect(await store.removeByUser("u1")).toBe(3);
      for (const record of mine) expect(await store.findByKey(record.session_id)).toBeNull();
      expect(await store.list("u1")).toEqual([]);
      expect(ids(await store.list())).toEqual([theirs.id]);
      expect(await store.removeByUser("u1")).toBe(0);
      expect(await store.count()).toBe(1);
    });

    test("removeByUser includes a session created while it runs, or that session is created after it", async () => {
      const store = fresh();
      const early = session("u1");
      await store.create(early);
      const late = session("u1");
      const [, removed] = await Promise.all([store.create(late), store.removeByUser("u1")]);
      const left = await store.list("u1");
      expect(removed + left.length).toBe(2);
      expect(await store.findByKey(early.session_id)).toBeNull();
    });

    test("removeCreatedBefore removes exactly the sessions created before the moment, at the second's edge", async () => {
      const store = fresh();
      const old = session("u1", "2020-01-01T00:00:10");
      const young = session("u1", "2020-01-01T00:00:11");
      // As some old files have them: a space for the T, later on the same day.
      const spaced = session("u2", "2020-01-01 00:00:30");
      for (const record of [old, young, spaced]) await store.create(record);
      const tenSeconds = parseTimestamp(old.created_at);
      // created at 00:00:10 means at most 00:00:10.999: not before that moment.
      expect(await store.removeCreatedBefore(tenSeconds + 999)).toBe(0);
      expect(await store.removeCreatedBefore(tenSeconds + 1000)).toBe(1);
      expect(await store.findByKey(old.session_id)).toBeNull();
      expect(ids(await store.list()).sort()).toEqual([young.id, spaced.id].sort());
      expect(await store.removeCreatedBefore(tenSeconds + 20_999)).toBe(1);
      expect(ids(await store.list())).toEqual([spaced.id]);
      expect(await store.removeCreatedBefore(tenSeconds + 21_000)).toBe(1);
      expect(await store.count()).toBe(0);
    });

    test("removeCreatedBefore removes every old session whatever order they were stored in", async () => {
      const store = fresh();
      // Stored young first: a clock set back, a copy from another instance, a migration.
      const young = session("u1", "2020-01-01T00:10:00");
      const old = session("u2", "2020-01-01T00:00:00");
      const older = session("u1", "2019-12-31T23:00:00");
      const younger = session("u3", "2020-01-01T00:20:00");
      const oldSpaced = session("u3", "2020-01-01 00:01:00");
      for (const record of [young, old, younger, older, oldSpaced]) await store.create(record);
      expect(await store.removeCreatedBefore(Date.UTC(2020, 0, 1, 0, 5))).toBe(3);
      for (const record of [old, older, oldSpaced]) expect(await store.findByKey(record.session_id)).toBeNull();
      expect(ids(await store.list())).toEqual([young.id, younger.id]);
      expect(await store.removeUnusedSince(Date.UTC(2020, 0, 1, 0, 15))).toBe(1);
      expect(ids(await store.list())).toEqual([younger.id]);
    });

    test("removeCreatedBefore takes every old session, past any batch size", async () => {
      const store = fresh();
      const old = Array.from({ length: 1200 }, (_, i) => session(`u${i % 7}`, formatTimestamp(Date.UTC(2020, 0, 1) + i * 1000)));
      const kept = session("u1", "2021-01-01T00:00:00");
      for (let i = 0; i < old.length; i += 200) await Promise.all(old.slice(i, i + 200).map((record) => store.create(record)));
      await store.create(kept);
      expect(await store.removeCreatedBefore(Date.UTC(2020, 6, 1))).toBe(old.length);
      expect(ids(await store.list())).toEqual([kept.id]);
      expect(await store.list("u3")).toEqual([]);
    });
  });
}
