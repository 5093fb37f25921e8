import { describe, expect, test } from "bun:test";
import { WebAuthnError } from "../../../../src/auth/factors/webauthn/errors.ts";
import { readRegistration, type RegistrationExpectation, verifyRegistration } from "../../../../src/auth/factors/webauthn/registration.ts";
import { type CborIn, type CeremonyKnobs, encodeCbor, SoftAuthenticator } from "./soft-authenticator.ts";

const ORIGIN = "https://login.example.com";
const options = { challenge: "Y2hhbGxlbmdlLWNoYWxsZW5nZS1jaGFsbGVuZ2U", rp: { id: "example.com" } };
const expected: RegistrationExpectation = { challenge: options.challenge, origins: new Set([ORIGIN]), rpId: "example.com", requireUserVerification: true, algorithms: [-7, -8, -257] };

async function register(knobs: CeremonyKnobs = {}, authenticator?: SoftAuthenticator, expectation = expected) {
  const credential = await (authenticator ?? (await SoftAuthenticator.create())).register(options, ORIGIN, knobs);
  return verifyRegistration(readRegistration(credential), expectation);
}

async function refusedAt(step: string, attempt: Promise<unknown>) {
  const error = await attempt.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(WebAuthnError);
  expect((error as WebAuthnError).step).toBe(step);
}

describe("verifyRegistration (WebAuthn Level 3 §7.1)", () => {
  for (const alg of [-7, -8, -257] as const) {
    test(`a credential of alg ${alg} registers, its record as §7.1 step 27 lists it`, async () => {
      const authenticator = await SoftAuthenticator.create(alg);
      const verified = await register({ flags: { be: true, bs: true } }, authenticator);
      expect(verified).toMatchObject({ credentialId: authenticator.id, algorithm: alg, signCount: 0, userVerified: true, backupEligible: true, backupState: true, transports: ["internal"], attestationFormat: "none" });
      expect(Buffer.from(verified.publicKey, "base64url")).toEqual(Buffer.from(authenticator.cosePublicKey));
    });
  }

  test("step 3: a body that is not an attestation response", async () => {
    for (const body of [null, [], "x", { type: "public-key" }, { type: "other", id: "AA", rawId: "AA", response: {} }]) {
      expect(() => readRegistration(body)).toThrow(WebAuthnError);
    }
    const credential = await (await SoftAuthenticator.create()).register(options, ORIGIN);
    expect(() => readRegistration({ ...credential, id: "AAAA" })).toThrow(/differ/);
    expect(() => readRegistration({ ...credential, response: { clientDataJSON: "Zm9v" } })).toThrow(/not an attestation/);
    expect(() => readRegistration({ ...credential, rawId: "a+b/", id: "a+b/" })).toThrow(/rawId/);
  });

  test("steps 5-6: clientDataJSON that is not UTF-8 JSON with type, challenge and origin", async () => {
    const credential = (await (await SoftAuthenticator.create()).register(options, ORIGIN)) as { response: Record<string, string> };
    for (const text of [Buffer.from([0xff, 0xfe]), Buffer.from("[]"), Buffer.from('{"type":"webauthn.create"}'), Buffer.from('{"type":1,"challenge":"a","origin":"b"}')]) {
      const body = { ...credential, response: { ...credential.response, clientDataJSON: text.toString("base64url") } };
      expect(() => readRegistration(body)).toThrow(expect.objectContaining({ step: "7.1 steps 5-6" }));
    }
  });

  test("step 7: type webauthn.get is refused", () => refusedAt("7.1 step 7", register({ type: "webauthn.get" })));
  test("step 8: another challenge is refused", () => refusedAt("7.1 step 8", register({ challenge: "b3RoZXI" })));
  test("step 9: an origin not expected is refused", async () => {
    await refusedAt("7.1 step 9", register({ origin: "https://evil.example" }));
    await refusedAt("7.1 step 9", register({ origin: "http://login.example.com" }));
  });
  test("step 10: crossOrigin true is refused", () => refusedAt("7.1 step 10", register({ crossOrigin: true })));
  test("step 11: a topOrigin is refused", () => refusedAt("7.1 step 11", register({ topOrigin: "https://frame.example" })));

  test("step 13: an attestation object that is not the CBOR map it should be", async () => {
    const authenticator = await SoftAuthenticator.create();
    const credential = (await authenticator.register(options, ORIGIN)) as { response: Record<string, string> };
    for (const object of [new Uint8Array([0xa1]), encodeCbor([1]), encodeCbor(new Map([["fmt", "none"]])), encodeCbor(new Map<string, never>([["fmt", "none"], ["attStmt", new Map()], ["authData", new Uint8Array(37)]] as never))]) {
      const body = { ...credential, response: { ...credential.response, attestationObject: Buffer.from(object).toString("base64url") } };
      await refusedAt("7.1 step 13", verifyRegistration(readRegistration(body), expected));
    }
  });

  test("step 14: a credential scoped to another RP ID is refused", () => refusedAt("7.1 step 14", register({ rpId: "evil.example" })));
  test("step 15: user presence missing is refused", () => refusedAt("7.1 step 15", register({ flags: { up: false } })));
  test("step 16: user verification missing is refused when required, accepted when not", async () => {
    await refusedAt("7.1 step 16", register({ flags: { uv: false } }));
    expect((await register({ flags: { uv: false } }, undefined, { ...expected, requireUserVerification: false })).userVerified).toBe(false);
  });
  test("step 17: backed up without being backup eligible is refused", () => refusedAt("7.1 step 17", register({ flags: { bs: true } })));
  test("step 20: a key of an algorithm not offered is refused", async () => {
    await refusedAt("7.1 step 20", register({}, await SoftAuthenticator.create(-257), { ...expected, algorithms: [-7] }));
  });
  test("steps 21-24: any attestation format is accepted as none, its statement ignored", async () => {
    const verified = await register({ fmt: "packed", attStmt: new Map<string, CborIn>([["alg", -7], ["sig", new Uint8Array([1, 2, 3])]]) });
    expect(verified.attestationFormat).toBe("packed");
  });
  test("step 25: the credential id the client names must be the attested one", async () => {
    const authenticator = await SoftAuthenticator.create();
    const credential = await authenticator.register(options, ORIGIN);
    const other = (await SoftAuthenticator.create()).id;
    await refusedAt("7.1 step 25", verifyRegistration(readRegistration({ ...credential, id: other, rawId: other }), expected));
  });
});

describe("every byte of an attestation object", () => {
  test("any one bit changed is refused with a WebAuthnError, or accepted only where nothing checked lives (the AAGUID)", async () => {
    const authenticator = await SoftAuthenticator.create(-7);
    const credential = (await authenticator.register(options, ORIGIN)) as { response: Record<string, string> };
    const bytes = Buffer.from(credential.response.attestationObject!, "base64url");
    const accepted = new Set<number>();
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const changed = Buffer.from(bytes);
      changed[bit >> 3]! ^= 1 << (bit & 7);
      const body = { ...credential, response: { ...credential.response, attestationObject: changed.toString("base64url") } };
      const outcome = await (async () => verifyRegistration(readRegistration(body), expected))().then((v) => v, (e: unknown) => e);
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(WebAuthnError);
      else accepted.add(bit >> 3);
    }
    // What may change unnoticed: "none" spelt otherwise (just another format, accepted as none),
    // the flags nothing requires (BE with BS clear, the reserved bits), the counter, and the
    // AAGUID (attestation "none" vouches for no model); never the RP ID hash, the UP and UV
    // flags, the credential id or its key.
    const fmt = bytes.indexOf(Buffer.from("none"));
    const authData = bytes.indexOf(Buffer.from("authData")) + "authData".length + 2;
    const harmless = (offset: number) => (offset >= fmt && offset < fmt + 4) || (offset >= authData + 32 && offset < authData + 53);
    expect([...accepted].filter((offset) => !harmless(offset))).toEqual([]);
    expect(accepted.size).toBeGreaterThan(0);
  });
});
