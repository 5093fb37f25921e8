import { describe, expect, test } from "bun:test";
import { LoginThrottle, ThrottledError } from "../../src/auth/throttle.ts";
import { MemoryAttemptCounters } from "../../src/storage/attempt-counters.ts";
import { FakeClock } from "../helpers.ts";

const make = (clock = new FakeClock(), counters = new MemoryAttemptCounters()) =>
  new LoginThrottle({ perClient: { maxFailures: 5, windowSeconds: 60 }, perAccount: { maxFailures: 2, windowSeconds: 60 }, clock: clock.read, counters });

const refusal = async (attempt: Promise<void>) => {
  try {
    await attempt;
    return 0;
  } catch (error) {
    expect(error).toBeInstanceOf(ThrottledError);
    return (error as ThrottledError).retryAfterSeconds;
  }
};

describe("LoginThrottle", () => {
  test("an account is refused for every client once its limit is counted, until its window ends", async () => {
    const clock = new FakeClock();
    const throttle = make(clock);
    await throttle.takeAccount("bob");
    clock.advance(10);
    await throttle.takeAccount("bob");
    expect(await refusal(throttle.takeAccount("bob"))).toBe(50);
    expect(await refusal(throttle.takeAccount("alice"))).toBe(0);
    clock.advance(50);
    expect(await refusal(throttle.takeAccount("bob"))).toBe(0);
  });

  test("a client is refused for every account; other clients are not", async () => {
    const throttle = make();
    for (let i = 0; i < 5; i++) await throttle.takeClient("1.1.1.1");
    expect(await refusal(throttle.takeClient("1.1.1.1"))).toBe(60);
    expect(await refusal(throttle.takeClient("2.2.2.2"))).toBe(0);
  });

  test("an attempt given back does not count; clearing an account starts its count again", async () => {
    const throttle = make();
    for (let i = 0; i < 10; i++) {
      await throttle.takeClient("1.1.1.1");
      await throttle.giveBackClient("1.1.1.1");
    }
    expect(await refusal(throttle.takeClient("1.1.1.1"))).toBe(0);
    await throttle.takeAccount("bob");
    await throttle.clearAccount("bob");
    await throttle.takeAccount("bob");
    expect(await refusal(throttle.takeAccount("bob"))).toBe(0);
    expect(await refusal(throttle.takeAccount("bob"))).toBeGreaterThan(0);
  });

  test("a locked account stays locked whatever number of client addresses is counted, however long", async () => {
    const throttle = make();
    await throttle.takeAccount("bob");
    await throttle.takeAccount("bob");
    const padding = "x".repeat(15_000);
    for (let i = 0; i < 2000; i++) await throttle.takeClient(`${padding}${i}`);
    expect(await refusal(throttle.takeAccount("bob"))).toBe(60);
  });

  test("a client key has a bounded size whatever the address; the same address is still one key", async () => {
    const counters = new MemoryAttemptCounters();
    const throttle = make(new FakeClock(), counters);
    const long = "6".repeat(16_000);
    for (let i = 0; i < 5; i++) await throttle.takeClient(long);
    expect(await refusal(throttle.takeClient(long))).toBe(60);
    expect(await refusal(throttle.takeClient(`${long}7`))).toBe(0);
    expect(counters.size.keys).toBe(2);
    expect(counters.size.bytes).toBeLessThan(1024);
  });

  test("limits of 0 count nothing", async () => {
    const counters = new MemoryAttemptCounters();
    const throttle = new LoginThrottle({ perClient: { maxFailures: 0, windowSeconds: 60 }, perAccount: { maxFailures: 0, windowSeconds: 60 }, clock: new FakeClock().read, counters });
    for (let i = 0; i < 10; i++) {
      await throttle.takeClient("1.1.1.1");
      await throttle.takeAccount("bob");
    }
    expect(counters.size.keys).toBe(0);
  });

  test("the sweep drops ended windows", async () => {
    const clock = new FakeClock();
    const counters = new MemoryAttemptCounters();
    const throttle = make(clock, counters);
    for (let i = 0; i < 100; i++) await throttle.takeClient(`10.0.0.${i}`);
    clock.advance(30);
    await throttle.takeClient("10.0.1.1");
    clock.advance(31);
    expect(await throttle.sweep()).toBe(100);
    expect(counters.size.keys).toBe(1);
  });
});
