/** One suite of AttemptCounters behaviours, on every backend that keeps them: memory, PostgreSQL, Redis. */
import { afterAll, describe, expect, test } from "bun:test";
import { type AttemptCounters, MemoryAttemptCounters } from "../../src/storage/attempt-counters.ts";
import { openStores } from "../../src/storage/stores.ts";
import { available, BACKENDS, backendEnv, tempDir, testConfig } from "../helpers.ts";

const NOW = Date.UTC(2020, 0, 1);

describe("memory budgets", () => {
  const ip = (i: number) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;

  test("the client budget holds under a flood of distinct keys, dropping the stalest first", () => {
    const counters = new MemoryAttemptCounters({ clientBytes: 64 * 1024 });
    for (let i = 0; i < 100_000; i++) counters.take("client", ip(i), 5, 60_000, NOW);
    const { keys, bytes } = counters.sizeOf("client");
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
    expect(keys).toBeGreaterThan(100);
    expect(counters.take("client", ip(99_999), 1, 60_000, NOW)).toBeGreaterThan(0);
    expect(counters.take("client", ip(0), 1, 60_000, NOW)).toBe(0);
    const before = counters.size.keys;
    expect(counters.sweep(NOW + 60_000)).toBe(before);
    expect(counters.size).toEqual({ keys: 0, bytes: 0 });
  });

  test("no number of client keys pushes out an account's count: each kind has its own budget", () => {
    const counters = new MemoryAttemptCounters({ clientBytes: 64 * 1024, accountBytes: 64 * 1024 });
    counters.take("account", "bob", 1, 60_000, NOW);
    counters.take("account", "ann", 3, 60_000, NOW);
    for (let i = 0; i < 50_000; i++) counters.take("client", ip(i), 5, 60_000, NOW);
    expect(counters.take("account", "bob", 1, 60_000, NOW)).toBe(60_000);
    expect(counters.take("account", "ann", 3, 60_000, NOW)).toBe(0);
    expect(counters.take("account", "ann", 3, 60_000, NOW)).toBe(0);
    expect(counters.take("account", "ann", 3, 60_000, NOW)).toBe(60_000);
    expect(counters.sizeOf("account").keys).toBe(2);
    // The same text is a different key in each kind.
    expect(counters.take("client", "bob", 1, 60_000, NOW)).toBe(0);
  });

  test("accounts: a locked one is never pushed out by others; the budget gives way instead", () => {
    const counters = new MemoryAttemptCounters({ accountBytes: 16 * 1024 });
    for (let i = 0; i < 3; i++) counters.take("account", "bob", 3, 60_000, NOW);
    for (let i = 0; i < 20_000; i++) counters.take("account", `user-${i}`, 3, 60_000, NOW);
    expect(counters.take("account", "bob", 3, 60_000, NOW)).toBe(60_000);
    expect(counters.sizeOf("account").bytes).toBeLessThanOrEqual(16 * 1024);
    // Every key held locked: one more is kept past the budget rather than a lock lifted.
    const locked = new MemoryAttemptCounters({ accountBytes: 4 * 1024 });
    const held = Array.from({ length: 40 }, (_, i) => `locked-${i}`);
    for (const key of held) for (let i = 0; i < 3; i++) locked.take("account", key, 3, 60_000, NOW);
    expect(locked.sizeOf("account").bytes).toBeGreaterThan(4 * 1024);
    for (const key of held) expect(locked.take("account", key, 3, 60_000, NOW + 1000)).toBe(59_000);
    // Once their windows end they may go, at the next take past the budget or the sweep.
    expect(locked.take("account", "new", 3, 60_000, NOW + 60_000)).toBe(0);
    expect(locked.sizeOf("account").bytes).toBeLessThanOrEqual(4 * 1024);
    expect(locked.take("account", "new", 3, 60_000, NOW + 60_000)).toBe(0);
  });

  test("the lowest count goes first: pushing out a count of n takes filling the budget with counts of n or more", () => {
    const counters = new MemoryAttemptCounters({ accountBytes: 16 * 1024 });
    for (let i = 0; i < 2; i++) counters.take("account", "bob", 10, 60_000, NOW);
    // A flood of single attempts pushes out only other single attempts.
    for (let i = 0; i < 20_000; i++) counters.take("account", `once-${i}`, 10, 60_000, NOW);
    expect(counters.take("account", "bob", 3, 60_000, NOW)).toBe(0);
    expect(counters.take("account", "bob", 3, 60_000, NOW)).toBe(60_000);
    // Clients too, though a locked client goes once nothing lower is left.
    const clients = new MemoryAttemptCounters({ clientBytes: 16 * 1024 });
    for (let i = 0; i < 4; i++) clients.take("client", "6.6.6.6", 5, 60_000, NOW);
    for (let i = 0; i < 20_000; i++) clients.take("client", ip(i), 5, 60_000, NOW);
    expect(clients.take("client", "6.6.6.6", 5, 60_000, NOW)).toBe(0);
    expect(clients.take("client", "6.6.6.6", 5, 60_000, NOW)).toBe(60_000);
  });
});

for (const backend of BACKENDS) {
  const where = backend === "postgres+redis" ? "redis" : backend === "postgres" ? "postgresql" : "memory";
  describe.skipIf(!available(backend))(`[${where}] AttemptCounters`, () => {
    const opened: ReturnType<typeof openStores>[] = [];
    afterAll(async () => {
      await Promise.all(opened.map((stores) => stores.close()));
    });
    const fresh = (): AttemptCounters => {
      const dir = tempDir();
      const stores = openStores(testConfig(backendEnv(backend, dir), dir), false);
      opened.push(stores);
      expect(stores.counters.backend).toBe(where);
      return stores.counters;
    };
    const key = () => `k:${crypto.randomUUID()}`;
    const kind = "client";

    test("counts up to the limit, then refuses with the time left in the window", async () => {
      const counters = fresh();
      const k = key();
      for (let i = 0; i < 3; i++) expect(await counters.take(kind, k, 3, 60_000, NOW + i * 1000)).toBe(0);
      expect(await counters.take(kind, k, 3, 60_000, NOW + 10_000)).toBe(50_000);
      expect(await counters.take(kind, key(), 3, 60_000, NOW)).toBe(0);
      // A new window once this one has ended.
      expect(await counters.take(kind, k, 3, 60_000, NOW + 60_000)).toBe(0);
    });

    test("of hundreds of takes at once, exactly the limit are counted", async () => {
      const counters = fresh();
      const k = key();
      const answers = await Promise.all(Array.from({ length: 300 }, () => counters.take(kind, k, 10, 60_000, NOW)));
      expect(answers.filter((wait) => wait === 0)).toHaveLength(10);
    });

    test("a client and an account with the same key are counted apart", async () => {
      const counters = fresh();
      const k = key();
      expect(await counters.take("client", k, 1, 60_000, NOW)).toBe(0);
      expect(await counters.take("client", k, 1, 60_000, NOW)).toBeGreaterThan(0);
      expect(await counters.take("account", k, 1, 60_000, NOW)).toBe(0);
      await counters.clear("account", k);
      expect(await counters.take("client", k, 1, 60_000, NOW)).toBeGreaterThan(0);
    });

    test("giveBack takes back one attempt; clear forgets them all", async () => {
      const counters = fresh();
      const k = key();
      await counters.take(kind, k, 2, 60_000, NOW);
      await counters.take(kind, k, 2, 60_000, NOW);
      expect(await counters.take(kind, k, 2, 60_000, NOW)).toBeGreaterThan(0);
      await counters.giveBack(kind, k);
      expect(await counters.take(kind, k, 2, 60_000, NOW)).toBe(0);
      await counters.clear(kind, k);
      expect(await counters.take(kind, k, 2, 60_000, NOW)).toBe(0);
      expect(await counters.take(kind, k, 2, 60_000, NOW)).toBe(0);
      expect(await counters.take(kind, k, 2, 60_000, NOW)).toBeGreaterThan(0);
    });
  });
}
