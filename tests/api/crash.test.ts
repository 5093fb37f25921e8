import { expect, test } from "bun:test";
import { crashSoak } from "../../scripts/crash-soak.ts";

test("SIGKILL at random moments loses no acknowledged write (20 kills)", async () => {
  const result = await crashSoak({ kills: 20 });
  expect(result.lost).toEqual([]);
  expect(result.acknowledged).toBeGreaterThan(20);
}, 180_000);
