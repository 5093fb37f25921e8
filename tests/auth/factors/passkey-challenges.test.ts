import { describe, expect, test } from "bun:test";
import { CHALLENGE_TTL_MS, Challenges } from "../../../src/auth/factors/passkey-challenges.ts";
import { MemoryChallengeStore } from "../../../src/storage/challenge-store.ts";
import { FakeClock } from "../../helpers.ts";

describe("Challenges", () => {
  test("32 random bytes, base64url, each different", async () => {
    const challenges = new Challenges(new MemoryChallengeStore(), new FakeClock().read);
    const issued = await Promise.all(Array.from({ length: 100 }, () => challenges.issue("login", null)));
    for (const challenge of issued) expect(Buffer.from(challenge, "base64url")).toHaveLength(32);
    expect(new Set(issued).size).toBe(100);
  });

  test("single-use: a second take finds nothing, even after the first failed for the purpose", async () => {
    const challenges = new Challenges(new MemoryChallengeStore(), new FakeClock().read);
    const login = await challenges.issue("login", "u1");
    expect(await challenges.take(login, "login")).toMatchObject({ purpose: "login", userId: "u1" });
    expect(await challenges.take(login, "login")).toBeNull();
    const register = await challenges.issue("register", "u1");
    expect(await challenges.take(register, "login")).toBeNull();
    expect(await challenges.take(register, "register")).toBeNull();
  });

  test("expires after 5 minutes: good at the last millisecond, not at the expiry", async () => {
    const clock = new FakeClock();
    const challenges = new Challenges(new MemoryChallengeStore(), clock.read);
    const early = await challenges.issue("login", null);
    const late = await challenges.issue("login", null);
    clock.now += CHALLENGE_TTL_MS - 1;
    expect(await challenges.take(early, "login")).not.toBeNull();
    clock.now += 1;
    expect(await challenges.take(late, "login")).toBeNull();
    expect(CHALLENGE_TTL_MS).toBe(300_000);
  });

  test("text that cannot be one of ours is not looked up", async () => {
    const store = new MemoryChallengeStore();
    const challenges = new Challenges(store, new FakeClock().read);
    for (const text of ["", "x", "a".repeat(44), "a".repeat(42) + "=", "a".repeat(10_000)]) expect(await challenges.take(text, "login")).toBeNull();
  });
});
