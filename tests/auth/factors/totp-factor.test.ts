import { afterEach, describe, expect, test } from "bun:test";
import { SecretBox } from "../../../src/auth/factors/secret-box.ts";
import { TotpFactor, TotpStateError } from "../../../src/auth/factors/totp-factor.ts";
import { base32Decode, totp } from "../../../src/auth/factors/totp.ts";
import { openUserTotpStore } from "../../../src/storage/user-totp-store.ts";
import { FakeClock, legacyUser, tempDir } from "../../helpers.ts";

const stores: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

async function factor(dir = tempDir(), clock = new FakeClock()) {
  const store = openUserTotpStore(dir);
  stores.push(store);
  const box = SecretBox.fromKey(new Uint8Array(32).fill(7));
  return { clock, store, totp: new TotpFactor({ store, box: () => box, clock: clock.read, issuer: "Acme" }) };
}

const bob = legacyUser("bob@hbtn.io", "x");

describe("TotpFactor", () => {
  test("begin → confirm → codes used once; the pending secret is sealed in the record", async () => {
    const { totp: factor_, clock, store } = await factor();
    const { secret, uri } = await factor_.begin(bob);
    expect(uri).toContain(`secret=${secret}`);
    expect(JSON.stringify(await store.get(bob.id))).not.toContain(secret);
    expect(await factor_.enrolled(bob.id)).toBe(false);
    const right = await totp(base32Decode(secret)!, clock.now);
    expect(await factor_.confirm(bob, right === "000000" ? "111111" : "000000")).toBeNull();
    const codes = await factor_.confirm(bob, right);
    expect(codes).toHaveLength(10);
    expect(await factor_.enrolled(bob.id)).toBe(true);
    expect(await factor_.status(bob.id)).toEqual({ enabled: true, pending: false });
    await expect(factor_.begin(bob)).rejects.toThrow(TotpStateError);
    clock.advance(30);
    const code = await totp(base32Decode(secret)!, clock.now);
    const uses = await Promise.all(Array.from({ length: 5 }, () => factor_.useCode(bob.id, code, { recovery: true })));
    expect(uses.filter((use) => use === "totp")).toHaveLength(1);
    expect(await factor_.useCode(bob.id, codes![0]!, { recovery: false })).toBeNull();
    expect(await factor_.useCode(bob.id, codes![0]!, { recovery: true })).toBe("recovery_code");
    expect(await factor_.useCode(bob.id, codes![0]!, { recovery: true })).toBeNull();
  });

  test("two stores on one folder (two processes): a code is used once between them", async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const one = await factor(dir, clock);
    const two = await factor(dir, clock);
    const { secret } = await one.totp.begin(bob);
    await one.totp.confirm(bob, await totp(base32Decode(secret)!, clock.now));
    clock.advance(30);
    const code = await totp(base32Decode(secret)!, clock.now);
    const uses = await Promise.all([one.totp.useCode(bob.id, code, { recovery: false }), two.totp.useCode(bob.id, code, { recovery: false })]);
    expect(uses.sort()).toEqual([null, "totp"]);
  });

  test("sessionPassed: any session while off; with it on, one that proved it or predates it", async () => {
    const { totp: factor_, clock } = await factor();
    const before = { factors: ["password"] as const, createdAt: clock.now - 5_000 };
    expect(await factor_.sessionPassed(bob.id, () => before)).toBe(true);
    const { secret } = await factor_.begin(bob);
    await factor_.confirm(bob, await totp(base32Decode(secret)!, clock.now));
    expect(await factor_.sessionPassed(bob.id, () => before)).toBe(true);
    expect(await factor_.sessionPassed(bob.id, () => ({ factors: ["password"], createdAt: clock.now + 1_000 }))).toBe(false);
    expect(await factor_.sessionPassed(bob.id, () => ({ factors: ["password", "totp"], createdAt: clock.now + 1_000 }))).toBe(true);
    expect(await factor_.sessionPassed(bob.id, () => ({ factors: ["password", "recovery_code"], createdAt: clock.now + 1_000 }))).toBe(true);
  });

  test("reset removes a factor on or pending; removal without one is a TotpStateError", async () => {
    const { totp: factor_ } = await factor();
    await expect(factor_.remove(bob, "123456")).rejects.toThrow(TotpStateError);
    await factor_.begin(bob);
    expect(await factor_.reset(bob.id)).toBe(true);
    expect(await factor_.reset(bob.id)).toBe(false);
  });
});
