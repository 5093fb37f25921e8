import { describe, expect, test } from "bun:test";
import { CoseKeyError, derToRaw, importCoseKey, verifySignature } from "../../../../src/auth/factors/webauthn/cose.ts";
import { type CborIn, encodeCbor, rawToDer, SoftAuthenticator } from "./soft-authenticator.ts";

const hex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));

describe("derToRaw", () => {
  test("pads short integers and drops the sign byte", () => {
    const r = new Uint8Array(32).fill(0x81);
    const s = new Uint8Array(32);
    s[31] = 5;
    const raw = new Uint8Array([...r, ...s]);
    const der = rawToDer(raw);
    expect(der[3]).toBe(33); // r needed a leading zero
    expect(derToRaw(der, 32)).toEqual(raw);
  });

  test.each([
    ["not a sequence", "31060201010201 01"],
    ["length disagrees", "3007020101020101"],
    ["negative r", "3006020181020101"],
    ["r with a needless leading zero", "300702020001020101"],
    ["zero-length integer", "30050200020101"],
    ["trailing bytes inside", "3008020101020101 0000"],
    ["r wider than the curve", `3026 0222 01${"00".repeat(33)} 020101`],
  ])("refuses %s", (_, der) => {
    expect(derToRaw(hex(der.replace(/\s/g, "")), 32)).toBeNull();
  });
});

describe("importCoseKey and verifySignature", () => {
  const data = new TextEncoder().encode("signed data");
  for (const alg of [-7, -8, -257] as const) {
    test(`alg ${alg}: the authenticator's signature verifies, a changed one does not`, async () => {
      const authenticator = await SoftAuthenticator.create(alg);
      const key = await importCoseKey(authenticator.cosePublicKey);
      expect(key.algorithm).toBe(alg);
      const assertion = await authenticator.authenticate({ challenge: "AA", rpId: "x" }, "https://x", null);
      const response = (assertion as { response: { authenticatorData: string; clientDataJSON: string; signature: string } }).response;
      const authData = Buffer.from(response.authenticatorData, "base64url");
      const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", Buffer.from(response.clientDataJSON, "base64url")));
      const signed = new Uint8Array([...authData, ...hash]);
      const signature = new Uint8Array(Buffer.from(response.signature, "base64url"));
      expect(await verifySignature(key, signature, signed)).toBe(true);
      expect(await verifySignature(key, signature, new Uint8Array(data))).toBe(false);
      signature[signature.length - 1]! ^= 1;
      expect(await verifySignature(key, signature, signed)).toBe(false);
      expect(await verifySignature(key, new Uint8Array(3), signed)).toBe(false);
    });
  }

  const ec = (changes: [number, CborIn][]) => {
    const map = new Map<number, CborIn>([[1, 2], [3, -7], [-1, 1], [-2, new Uint8Array(32)], [-3, new Uint8Array(32)]]);
    for (const [k, v] of changes) map.set(k, v);
    return encodeCbor(map);
  };

  test.each([
    ["an unsupported algorithm (ES384)", ec([[3, -35]]), /unsupported/],
    ["a curve other than P-256", ec([[-1, 2]]), /P-256/],
    ["a short coordinate", ec([[-2, new Uint8Array(31)]]), /32 bytes/],
    ["a point not on the curve", ec([]), /not a valid key/],
    ["an RSA key of 1024 bits", encodeCbor(new Map<number, CborIn>([[1, 3], [3, -257], [-1, new Uint8Array(128).fill(0xc1)], [-2, new Uint8Array([1, 0, 1])]])), /2048/],
    ["an Ed448 key", encodeCbor(new Map<number, CborIn>([[1, 1], [3, -8], [-1, 7], [-2, new Uint8Array(57)]])), /Ed25519/],
    ["not a map", encodeCbor([1, 2]), /not a CBOR map/],
    ["not CBOR", new Uint8Array([0xff]), /credential public key/],
  ])("refuses %s", async (_, bytes, message) => {
    const attempt = importCoseKey(new Uint8Array(bytes));
    await expect(attempt).rejects.toThrow(CoseKeyError);
    await expect(attempt).rejects.toThrow(message);
  });
});
