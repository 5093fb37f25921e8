/** One suite of ChallengeStore behaviours on each backend that keeps challenges: memory, PostgreSQL. */
import { afterAll, describe, expect, test } from "bun:test";
import { type ChallengeStore, MAX_CHALLENGES, MemoryChallengeStore } from "../../src/storage/challenge-store.ts";
import { openStores, type Stores } from "../../src/storage/stores.ts";
import { available, backendEnv, tempDir, testConfig } from "../helpers.ts";

const NOW = Date.UTC(2026, 0, 1);
const opened: Stores[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((stores) => stores.close()));
});

function pgStores(dir = tempDir()): Stores {
  const stores = openStores(testConfig(backendEnv("postgres", dir), dir), false);
  opened.push(stores);
  return stores;
}

const backends: [string, boolean, () => ChallengeStore][] = [
  ["memory", true, () => new MemoryChallengeStore()],
  ["postgres", available("postgres"), () => pgStores().challenges],
];

for (const [name, runs, make] of backends) {
  describe.skipIf(!runs)(`[${name}] ChallengeStore`, () => {
    test("a challenge is taken once, with what it was issued for", async () => {
      const store = make();
      await store.put("a".repeat(43), { purpose: "login", userId: "u1", expiresAt: NOW + 1000 }, NOW);
      await store.put("b".repeat(43), { purpose: "register", userId: null, expiresAt: NOW + 2000 }, NOW);
      expect(await store.take("a".repeat(43))).toEqual({ purpose: "login", userId: "u1", expiresAt: NOW + 1000 });
      expect(await store.take("a".repeat(43))).toBeNull();
      expect(await store.take("b".repeat(43))).toEqual({ purpose: "register", userId: null, expiresAt: NOW + 2000 });
      expect(await store.take("never issued")).toBeNull();
    });

    test("of concurrent takers, exactly one gets it", async () => {
      const store = make();
      await store.put("c".repeat(43), { purpose: "login", userId: null, expiresAt: NOW + 1000 }, NOW);
      const taken = await Promise.all(Array.from({ length: 8 }, () => store.take("c".repeat(43))));
      expect(taken.filter((entry) => entry !== null)).toHaveLength(1);
    });
  });
}

test("[memory] at most MAX_CHALLENGES are kept: the expired go first, then the oldest", () => {
  const store = new MemoryChallengeStore();
  store.put("expired", { purpose: "login", userId: null, expiresAt: NOW - 1 }, NOW);
  for (let i = 0; i < MAX_CHALLENGES + 5; i++) store.put(`c${i}`, { purpose: "login", userId: null, expiresAt: NOW + 1000 }, NOW);
  expect(store.size).toBe(MAX_CHALLENGES);
  expect(store.take("expired")).toBeNull();
  expect(store.take("c0")).toBeNull();
  expect(store.take(`c${MAX_CHALLENGES + 4}`)).not.toBeNull();
});

describe.skipIf(!available("postgres"))("[postgres] challenges shared by instances", () => {
  test("one instance issues, another takes it; neither can take it again", async () => {
    const dir = tempDir();
    const [a, b] = [pgStores(dir), pgStores(dir)];
    await a.challenges.put("d".repeat(43), { purpose: "login", userId: "u1", expiresAt: NOW + 1000 }, NOW);
    expect(await b.challenges.take("d".repeat(43))).toMatchObject({ userId: "u1" });
    expect(await a.challenges.take("d".repeat(43))).toBeNull();
  });
});
