import { describe, expect, test } from "bun:test";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KEY_FILE, keyFromFile, parseSecretKey, SecretBox, SecretKeyError, secretBoxLoader } from "../../../src/auth/factors/secret-box.ts";
import { tempDir } from "../../helpers.ts";

const key = (byte: number) => new Uint8Array(32).fill(byte);
const plain = new TextEncoder().encode("12345678901234567890");

describe("SecretBox: AES-256-GCM bound to a context", () => {
  test("opens what it sealed, for the same context only", async () => {
    const box = await SecretBox.fromKey(key(1));
    const sealed = await box.seal(plain, "user-1");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(await box.open(sealed, "user-1")).toEqual(plain);
    expect(await box.open(sealed, "user-2")).toBeNull();
  });

  test("a fresh IV each time: the same secret seals differently", async () => {
    const box = await SecretBox.fromKey(key(1));
    expect(await box.seal(plain, "u")).not.toBe(await box.seal(plain, "u"));
  });

  test("another key, a changed byte, or a malformed text opens nothing and throws nothing", async () => {
    const box = await SecretBox.fromKey(key(1));
    const sealed = await box.seal(plain, "u");
    expect(await (await SecretBox.fromKey(key(2))).open(sealed, "u")).toBeNull();
    const [version, iv, body] = sealed.split(".");
    const replaced = body!.at(-2) === "A" ? "B" : "A";
    const flipped = `${version}.${iv}.${body!.slice(0, -2)}${replaced}${body!.slice(-1)}`;
    for (const bad of [flipped, "", "v1", "v1..", `v2.${iv}.${body}`, `${sealed}.x`, "v1.!!.??"]) expect(await box.open(bad, "u")).toBeNull();
  });

  test("mac: keyed, so the same code hashes differently under another key", async () => {
    const [a, b] = await Promise.all([SecretBox.fromKey(key(1)), SecretBox.fromKey(key(2))]);
    expect(await a.mac("abcdefghij")).toBe(await a.mac("abcdefghij"));
    expect(await a.mac("abcdefghij")).toMatch(/^[0-9a-f]{64}$/);
    expect(await a.mac("abcdefghij")).not.toBe(await b.mac("abcdefghij"));
  });
});

describe("the key", () => {
  test("parseSecretKey takes 64 hex characters, any case", () => {
    expect(parseSecretKey("AB".repeat(32))).toEqual(new Uint8Array(32).fill(0xab));
    for (const bad of ["", "ab", "zz".repeat(32), "ab".repeat(31)]) expect(() => parseSecretKey(bad)).toThrow(SecretKeyError);
  });

  test(".totp.key is made once, mode 0600, and read the same afterwards", () => {
    const dir = tempDir();
    const first = keyFromFile(dir);
    expect(first.length).toBe(32);
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(keyFromFile(dir)).toEqual(first);
  });

  test("a key file that is not a key stops with its path named; nothing overwrites it", () => {
    const dir = tempDir();
    writeFileSync(join(dir, KEY_FILE), "not a key\n");
    expect(() => keyFromFile(dir)).toThrow(join(dir, KEY_FILE));
    expect(statSync(join(dir, KEY_FILE)).size).toBe(10);
  });

  test("the loader: SECRET_KEY wins, no key file is made; a failure is tried again next time", async () => {
    const dir = tempDir();
    const withKey = secretBoxLoader({ secretKey: "01".repeat(32), dataDir: dir });
    const box = await withKey();
    expect(await withKey()).toBe(box);
    expect(() => statSync(join(dir, KEY_FILE))).toThrow();
    const missing = secretBoxLoader({ secretKey: null, dataDir: join(dir, "no-such-folder") });
    await expect(missing()).rejects.toThrow();
    await expect(missing()).rejects.toThrow();
  });
});
