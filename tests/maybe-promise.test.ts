/** andThen: one path for a value that is there now or arrives later, with and without an error path. */
import { describe, expect, test } from "bun:test";
import { andThen } from "../src/maybe-promise.ts";

const boom = new Error("boom");
const fail = (): never => {
  throw boom;
};
const recover = (error: unknown) => `recovered ${(error as Error).message}`;

describe("andThen", () => {
  test("a value that is there is answered at once, not as a promise", () => {
    expect(andThen(2, (n) => n * 3)).toBe(6);
    expect(andThen(2, (n) => String(n * 3), recover)).toBe("6");
  });

  test("a promised value is answered when it arrives", async () => {
    const answer = andThen(Promise.resolve(2), (n) => n * 3);
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(6);
  });

  test("without an error path, failures pass through as they came", async () => {
    expect(() => andThen(1, fail)).toThrow(boom);
    await expect(andThen(Promise.reject(boom), (n: number) => n)).rejects.toBe(boom);
  });

  test("with an error path, every failure goes to it: f throwing, f rejecting, the value rejecting", async () => {
    expect(andThen(1, fail, recover)).toBe("recovered boom");
    expect(await andThen(1, () => Promise.reject(boom), recover)).toBe("recovered boom");
    expect(await andThen(Promise.reject(boom), (n: number) => String(n), recover)).toBe("recovered boom");
    expect(await andThen(Promise.resolve(1), fail, recover)).toBe("recovered boom");
  });

  test("the error path may itself wait", async () => {
    expect(await andThen(1, fail, async (error) => recover(error))).toBe("recovered boom");
  });
});
