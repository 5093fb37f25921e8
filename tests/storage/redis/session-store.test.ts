/** What only the Redis session store has: its key layout, its upgrade from the layout before, TTLs. */
import { afterAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { RedisConnection } from "../../../src/storage/redis/connection.ts";
import { RedisSessionStore } from "../../../src/storage/redis/session-store.ts";
import type { UserSessionRecord } from "../../../src/domain/user-session.ts";
import { TEST_REDIS_URL } from "../../helpers.ts";

const session = (userId: string, createdAt = "2020-01-01T00:00:00"): UserSessionRecord => ({
  id: crypto.randomUUID(),
  created_at: createdAt,
  updated_at: createdAt,
  user_id: userId,
  session_id: Bun.SHA256.hash(crypto.randomUUID(), "hex"),
});

describe.skipIf(!TEST_REDIS_URL)("RedisSessionStore", () => {
  const client = TEST_REDIS_URL ? new RedisClient(TEST_REDIS_URL) : null;
  const connections: RedisConnection[] = [];
  const open = (prefix: string, ttlSeconds = 0) => {
    const connection = new RedisConnection(TEST_REDIS_URL!);
    connections.push(connection);
    return new RedisSessionStore(connection, { ttlSeconds, prefix });
  };
  const prefix = () => `t_redis_${crypto.randomUUID().slice(0, 8)}:`;
  afterAll(async () => {
    for (const connection of connections) connection.close();
    client?.close();
  });

  test("sessions stored by the layout before the sorted set are counted, listed and purged after the upgrade", async () => {
    const p = prefix();
    // As the earlier layout wrote them: hash, id key, user set, and no sorted set.
    const old = session("u1", "2020-01-01T00:00:00");
    await client!.send("HSET", [`${p}session:${old.session_id}`, "id", old.id, "created_at", old.created_at, "updated_at", old.updated_at, "user_id", old.user_id, "session_id", old.session_id]);
    await client!.send("SET", [`${p}id:${old.id}`, old.session_id]);
    await client!.send("SADD", [`${p}user:u1`, old.session_id]);
    const store = open(p);
    expect(await store.count()).toBe(1);
    expect((await store.list()).map((record) => record.id)).toEqual([old.id]);
    expect(await client!.send("GET", [`${p}schema`])).toBe("1");
    expect(await store.removeCreatedBefore(Date.UTC(2021, 0, 1))).toBe(1);
    expect(await store.findByKey(old.session_id)).toBeNull();
    expect(await client!.send("EXISTS", [`${p}id:${old.id}`])).toBe(0);
    expect(await client!.send("SCARD", [`${p}user:u1`])).toBe(0);
  });

  test("keys expire after SESSION_DURATION; the user's set holds only live sessions", async () => {
    const p = prefix();
    const store = open(p, 2);
    const now = () => new Date().toISOString().slice(0, 19);
    const first = session("u1", now());
    await store.create(first);
    expect(Number(await client!.send("TTL", [`${p}session:${first.session_id}`]))).toBeGreaterThan(0);
    await Bun.sleep(1200);
    const second = session("u1", now());
    await store.create(second);
    await Bun.sleep(1200);
    // The first session's keys are gone; the set (its TTL renewed by the second) still lists it, until the next login.
    expect(await store.findByKey(first.session_id)).toBeNull();
    expect(await client!.send("SISMEMBER", [`${p}user:u1`, first.session_id])).toBe(1);
    const third = session("u1", now());
    await store.create(third);
    expect(((await client!.send("SMEMBERS", [`${p}user:u1`])) as string[]).sort()).toEqual([second.session_id, third.session_id].sort());
    expect((await store.list("u1")).map((record) => record.id)).toEqual([second.id, third.id]);
  });

  test("the sweep takes sessions Redis already dropped by TTL out of their user's set and the sorted set", async () => {
    const p = prefix();
    const store = open(p, 1);
    const gone = session("u1", new Date(Date.now() - 5000).toISOString().slice(0, 19));
    const live = session("u2", new Date().toISOString().slice(0, 19));
    await store.create(gone);
    await store.create(live);
    // As if the key had expired by TTL already: the hash and id key go, set and sorted set stay.
    await client!.send("DEL", [`${p}session:${gone.session_id}`, `${p}id:${gone.id}`]);
    expect(await client!.send("SISMEMBER", [`${p}user:u1`, gone.session_id])).toBe(1);
    expect(await store.removeCreatedBefore(Date.now() - 2000)).toBe(0);
    expect(await client!.send("SCARD", [`${p}user:u1`])).toBe(0);
    expect(await client!.send("ZCARD", [`${p}created`])).toBe(1);
    expect((await store.list()).map((record) => record.id)).toEqual([live.id]);
  });
});
