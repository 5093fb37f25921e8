import { describe, expect, test } from "bun:test";
import { hashPassword, legacySha256, verifyPassword } from "../../src/domain/password.ts";

describe("passwords", () => {
  test("new hashes are argon2id with the documented cost, and verify", async () => {
    const hash = await hashPassword("H0lbertonSchool98!");
    expect(hash).toStartWith("$argon2id$v=19$m=19456,t=2,p=1$");
    expect(await verifyPassword("H0lbertonSchool98!", hash)).toEqual({ valid: true, needsRehash: false, costly: true });
    expect((await verifyPassword("wrong", hash)).valid).toBe(false);
  });

  test("the original's lowercase hex SHA-256 verifies and asks for an upgrade", async () => {
    const legacy = legacySha256("fake pwd");
    expect(legacy).toBe(new Bun.CryptoHasher("sha256").update("fake pwd").digest("hex"));
    expect(legacy).toMatch(/^[0-9a-f]{64}$/);
    expect(await verifyPassword("fake pwd", legacy)).toEqual({ valid: true, needsRehash: true, costly: false });
    expect(await verifyPassword("fake pwd!", legacy)).toEqual({ valid: false, needsRehash: false, costly: false });
  });

  test("missing or damaged hashes never match and never throw", async () => {
    for (const stored of [null, undefined, "", "not-a-hash", "$argon2id$garbage", legacySha256("x").toUpperCase()]) {
      expect((await verifyPassword("x", stored)).valid).toBe(false);
    }
  });
});
