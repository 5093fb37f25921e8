import { expect, test } from "bun:test";
import { MAX_PENDING, PENDING_LIFETIME_MS, PendingSignIns } from "../../../src/auth/providers/pending-sign-ins.ts";

const entry = { provider: "op", returnTo: null, nonce: "n", codeVerifier: "v", redirectUri: "https://auth.example/cb" };

test("a state is taken once", () => {
  const pending = new PendingSignIns();
  pending.add("s1", entry);
  expect(pending.take("s1")).toMatchObject(entry);
  expect(pending.take("s1")).toBeNull();
  expect(pending.take("unknown")).toBeNull();
});

test("a state expires after ten minutes", () => {
  let now = 0;
  const pending = new PendingSignIns(() => now);
  pending.add("s1", entry);
  pending.add("s2", entry);
  now = PENDING_LIFETIME_MS - 1;
  expect(pending.take("s1")).not.toBeNull();
  now = PENDING_LIFETIME_MS;
  expect(pending.take("s2")).toBeNull();
});

test("a flood keeps at most MAX_PENDING, giving up the oldest", () => {
  const pending = new PendingSignIns();
  for (let i = 0; i < MAX_PENDING + 50; i++) pending.add(`s${i}`, entry);
  expect(pending.size).toBe(MAX_PENDING);
  expect(pending.take("s0")).toBeNull();
  expect(pending.take(`s${MAX_PENDING + 49}`)).not.toBeNull();
});
