import { describe, expect, test } from "bun:test";
import { parseAuthenticatorData } from "../../../../src/auth/factors/webauthn/authenticator-data.ts";
import { WebAuthnError } from "../../../../src/auth/factors/webauthn/errors.ts";
import { encodeCbor, SoftAuthenticator } from "./soft-authenticator.ts";

const base = (flags: number, count = 0x01020304) => new Uint8Array([...new Uint8Array(32).fill(7), flags, count >>> 24, (count >> 16) & 0xff, (count >> 8) & 0xff, count & 0xff]);

describe("parseAuthenticatorData", () => {
  test("rpIdHash, every flag and the big-endian signCount", () => {
    const parsed = parseAuthenticatorData(base(0b0001_1101), "t");
    expect(parsed.rpIdHash).toEqual(new Uint8Array(32).fill(7));
    expect(parsed.flags).toEqual({ up: true, uv: true, be: true, bs: true, at: false, ed: false });
    expect(parsed.signCount).toBe(0x01020304);
    expect(parsed.attestedCredential).toBeNull();
    expect(parseAuthenticatorData(base(0, 0xffffffff), "t").signCount).toBe(0xffffffff);
  });

  test("attested credential data and extensions", async () => {
    const authenticator = await SoftAuthenticator.create(-7);
    const id = authenticator.credentialId;
    const extensions = encodeCbor(new Map([["credProtect", 2]]));
    const bytes = new Uint8Array([...base(0x41 | 0x80), ...new Uint8Array(16).fill(9), 0, id.length, ...id, ...authenticator.cosePublicKey, ...extensions]);
    const parsed = parseAuthenticatorData(bytes, "t");
    expect(parsed.flags.at && parsed.flags.ed).toBe(true);
    expect(parsed.attestedCredential!.aaguid).toEqual(new Uint8Array(16).fill(9));
    expect(parsed.attestedCredential!.credentialId).toEqual(id);
    expect(parsed.attestedCredential!.publicKeyBytes).toEqual(authenticator.cosePublicKey);
    expect(parsed.extensions!.get("credProtect")).toBe(2);
  });

  test.each([
    ["too short", new Uint8Array(36), /too short/],
    ["trailing bytes without AT or ED", new Uint8Array([...base(1), 0]), /trailing/],
    ["AT without the data", base(0x41), /too short/],
    ["a credential id longer than 1023 bytes", new Uint8Array([...base(0x41), ...new Uint8Array(16), 0x04, 0x00, ...new Uint8Array(1024)]), /length/],
    ["a credential id longer than what is left", new Uint8Array([...base(0x41), ...new Uint8Array(16), 0, 40, 1, 2]), /length/],
    ["a public key that is not a map", new Uint8Array([...base(0x41), ...new Uint8Array(16), 0, 1, 5, 0x80]), /not a CBOR map/],
    ["ED with nothing after", base(0x81), /ends early/],
  ])("refuses %s", (_, bytes, message) => {
    expect(() => parseAuthenticatorData(bytes, "7.2 step 7")).toThrow(WebAuthnError);
    expect(() => parseAuthenticatorData(bytes, "7.2 step 7")).toThrow(message);
  });
});
