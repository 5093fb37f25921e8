import { describe, expect, test } from "bun:test";
import { FailureCounter, LoginThrottle } from "../../src/auth/throttle.ts";
import { FakeClock } from "../helpers.ts";

describe("FailureCounter", () => {
  test("blocks at the limit until the window that began with the first failure ends", () => {
    const clock = new FakeClock();
    const counter = new FailureCounter({ maxFailures: 3, windowSeconds: 60 }, clock.read);
    counter.fail("k");
    clock.advance(10);
    counter.fail("k");
    expect(counter.retryAfter("k")).toBe(0);
    counter.fail("k");
    expect(counter.retryAfter("k")).toBe(50);
    clock.advance(49.5);
    expect(counter.retryAfter("k")).toBe(1);
    clock.advance(0.5);
    expect(counter.retryAfter("k")).toBe(0);
    counter.fail("k");
    expect(counter.retryAfter("k")).toBe(0);
  });

  test("reset clears a key; other keys are independent", () => {
    const counter = new FailureCounter({ maxFailures: 1, windowSeconds: 60 }, new FakeClock().read);
    counter.fail("a");
    counter.fail("b");
    counter.reset("a");
    expect(counter.retryAfter("a")).toBe(0);
    expect(counter.retryAfter("b")).toBeGreaterThan(0);
  });

  test("memory is bounded: the least recently failed keys are dropped first", () => {
    const counter = new FailureCounter({ maxFailures: 1, windowSeconds: 60 }, new FakeClock().read, 100);
    for (let i = 0; i < 1000; i++) counter.fail(`client-${i}`);
    expect(counter.size).toBe(100);
    expect(counter.retryAfter("client-999")).toBeGreaterThan(0);
    expect(counter.retryAfter("client-0")).toBe(0);
  });

  test("a limit of 0 turns the counter off", () => {
    const counter = new FailureCounter({ maxFailures: 0, windowSeconds: 60 }, new FakeClock().read);
    for (let i = 0; i < 10; i++) counter.fail("k");
    expect(counter.retryAfter("k")).toBe(0);
    expect(counter.size).toBe(0);
  });
});

describe("LoginThrottle", () => {
  const make = () =>
    new LoginThrottle({ perClient: { maxFailures: 5, windowSeconds: 60 }, perAccount: { maxFailures: 2, windowSeconds: 60 }, clock: new FakeClock().read });

  test("an account is blocked for every client, by email in any case", () => {
    const throttle = make();
    throttle.failed("1.1.1.1", "Bob@hbtn.io");
    throttle.failed("2.2.2.2", "bob@hbtn.io");
    expect(throttle.retryAfter("3.3.3.3", "BOB@HBTN.IO")).toBeGreaterThan(0);
    expect(throttle.retryAfter("3.3.3.3", "alice@hbtn.io")).toBe(0);
  });

  test("a client is blocked for every account", () => {
    const throttle = make();
    for (let i = 0; i < 5; i++) throttle.failed("1.1.1.1", null);
    expect(throttle.retryAfter("1.1.1.1", "anyone@hbtn.io")).toBeGreaterThan(0);
    expect(throttle.retryAfter("2.2.2.2", "anyone@hbtn.io")).toBe(0);
  });

  test("success clears the account's count but not the client's", () => {
    const throttle = make();
    throttle.failed("1.1.1.1", "bob@hbtn.io");
    throttle.succeeded("bob@hbtn.io");
    throttle.failed("1.1.1.1", "bob@hbtn.io");
    expect(throttle.retryAfter("9.9.9.9", "bob@hbtn.io")).toBe(0);
    for (let i = 0; i < 3; i++) throttle.failed("1.1.1.1", null);
    expect(throttle.retryAfter("1.1.1.1", null)).toBeGreaterThan(0);
  });
});
