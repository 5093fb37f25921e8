/** One suite of AttemptCounters behaviours, on every backend that keeps them: memory, PostgreSQL, Redis. */
import { afterAll, describe, expect, test } from "bun:test";
import { type AttemptCounters, MemoryAttemptCounters } from "../../src/models/attempt-counters.ts";
import { openStores } from "../../src/models/stores.ts";
import { available, BACKENDS, backendEnv, tempDir, testConfig } from "../helpers.ts";

const NOW = Date.UTC(2020, 0, 1);

test("memory: the byte budget holds under a flood of distinct keys, dropping the stalest first", () => {
  const counters = new MemoryAttemptCounters(64 * 1024);
  for (let i = 0; i < 100_000; i++) counters.take(`client:10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 5, 60_000, NOW);
  const { keys, bytes } = counters.size;
  expect(bytes).toBeLessThanOrEqual(64 * 1024);
  expect(keys).toBeGreaterThan(100);
  expect(counters.take("client:10.1.134.159", 1, 60_000, NOW)).toBeGreaterThan(0);
  expect(counters.take("client:10.0.0.0", 1, 60_000, NOW)).toBe(0);
  const before = counters.size.keys;
  expect(counters.sweep(NOW + 60_000)).toBe(before);
  expect(counters.size).toEqual({ keys: 0, bytes: 0 });
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

    test("counts up to the limit, then refuses with the time left in the window", async () => {
      const counters = fresh();
      const k = key();
      for (let i = 0; i < 3; i++) expect(await counters.take(k, 3, 60_000, NOW + i * 1000)).toBe(0);
      expect(await counters.take(k, 3, 60_000, NOW + 10_000)).toBe(50_000);
      expect(await counters.take(key(), 3, 60_000, NOW)).toBe(0);
      // A new window once this one has ended.
      expect(await counters.take(k, 3, 60_000, NOW + 60_000)).toBe(0);
    });

    test("of hundreds of takes at once, exactly the limit are counted", async () => {
      const counters = fresh();
      const k = key();
      const answers = await Promise.all(Array.from({ length: 300 }, () => counters.take(k, 10, 60_000, NOW)));
      expect(answers.filter((wait) => wait === 0)).toHaveLength(10);
    });

    test("giveBack takes back one attempt; clear forgets them all", async () => {
      const counters = fresh();
      const k = key();
      await counters.take(k, 2, 60_000, NOW);
      await counters.take(k, 2, 60_000, NOW);
      expect(await counters.take(k, 2, 60_000, NOW)).toBeGreaterThan(0);
      await counters.giveBack(k);
      expect(await counters.take(k, 2, 60_000, NOW)).toBe(0);
      await counters.clear(k);
      expect(await counters.take(k, 2, 60_000, NOW)).toBe(0);
      expect(await counters.take(k, 2, 60_000, NOW)).toBe(0);
      expect(await counters.take(k, 2, 60_000, NOW)).toBeGreaterThan(0);
    });
  });
}
