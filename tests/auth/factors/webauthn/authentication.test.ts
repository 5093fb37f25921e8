import { beforeAll, describe, expect, test } from "bun:test";
import { type AssertionExpectation, type CredentialRecord, readAssertion, verifyAssertion } from "../../../../src/auth/factors/webauthn/authentication.ts";
import { toBase64url } from "../../../../src/auth/factors/webauthn/base64url.ts";
import { WebAuthnError } from "../../../../src/auth/factors/webauthn/errors.ts";
import { type CeremonyKnobs, SoftAuthenticator } from "./soft-authenticator.ts";

const ORIGIN = "https://login.example.com";
const HANDLE = toBase64url(new TextEncoder().encode("user-1"));
const options = { challenge: "bG9naW4tY2hhbGxlbmdlLWxvZ2luLWNoYWxsZW5nZQ", rpId: "example.com" };
const expected: AssertionExpectation = { challenge: options.challenge, origins: new Set([ORIGIN]), rpId: "example.com", requireUserVerification: true, allowCredentials: [], userHandle: HANDLE, userIdentified: false };

let authenticator: SoftAuthenticator;
let record: CredentialRecord;

beforeAll(async () => {
  authenticator = await SoftAuthenticator.create(-7);
  record = { credentialId: authenticator.id, publicKey: toBase64url(authenticator.cosePublicKey), signCount: 0 };
});

async function assert(knobs: CeremonyKnobs = {}, expectation = expected, stored = record, by = authenticator) {
  const assertion = await by.authenticate(options, ORIGIN, HANDLE, knobs);
  return verifyAssertion(readAssertion(assertion), expectation, stored);
}

async function refusedAt(step: string, attempt: Promise<unknown>) {
  const error = await attempt.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(WebAuthnError);
  expect((error as WebAuthnError).step).toBe(step);
}

describe("verifyAssertion (WebAuthn Level 3 §7.2)", () => {
  for (const alg of [-7, -8, -257] as const) {
    test(`an assertion of alg ${alg} verifies and reports its counter`, async () => {
      const own = await SoftAuthenticator.create(alg);
      const stored = { credentialId: own.id, publicKey: toBase64url(own.cosePublicKey), signCount: 0 };
      expect(await assert({}, expected, stored, own)).toEqual({ signCount: 1, userVerified: true, backupState: false });
    });
  }

  test("step 3: a body that is not an assertion", async () => {
    for (const body of [null, 1, { type: "public-key", id: "AA", rawId: "AA" }]) expect(() => readAssertion(body)).toThrow(WebAuthnError);
    const assertion = (await authenticator.authenticate(options, ORIGIN, HANDLE)) as { response: Record<string, string> };
    expect(() => readAssertion({ ...assertion, response: { ...assertion.response, signature: "a b" } })).toThrow(expect.objectContaining({ step: "7.2 step 7" }));
    expect(() => readAssertion({ ...assertion, response: { ...assertion.response, userHandle: "=" } })).toThrow(expect.objectContaining({ step: "7.2 step 7" }));
  });

  test("step 5: a credential not among allowCredentials is refused", () => refusedAt("7.2 step 5", assert({}, { ...expected, allowCredentials: ["b3RoZXI"] })));
  test("step 6: another user's handle, or none for a user not identified before, is refused", async () => {
    await refusedAt("7.2 step 6", assert({ userHandle: toBase64url(new TextEncoder().encode("user-2")) }));
    await refusedAt("7.2 step 6", assert({ userHandle: null }));
    expect((await assert({ userHandle: null, signCount: 5 }, { ...expected, userIdentified: true })).signCount).toBe(5);
  });
  test("step 6: a record of another credential is refused", () => refusedAt("7.2 step 6", assert({}, expected, { ...record, credentialId: "b3RoZXI" })));
  test("step 10: type webauthn.create is refused", () => refusedAt("7.2 step 10", assert({ type: "webauthn.create" })));
  test("step 11: another challenge is refused", () => refusedAt("7.2 step 11", assert({ challenge: "b3RoZXI" })));
  test("step 12: another origin is refused", () => refusedAt("7.2 step 12", assert({ origin: "https://login.example.com.evil.example" })));
  test("step 13: crossOrigin true is refused", () => refusedAt("7.2 step 13", assert({ crossOrigin: true })));
  test("step 14: a topOrigin is refused", () => refusedAt("7.2 step 14", assert({ topOrigin: ORIGIN })));
  test("step 15: another RP ID's hash is refused", () => refusedAt("7.2 step 15", assert({ rpId: "evil.example" })));
  test("step 16: user presence missing is refused", () => refusedAt("7.2 step 16", assert({ flags: { up: false } })));
  test("step 17: user verification missing is refused when required", async () => {
    await refusedAt("7.2 step 17", assert({ flags: { uv: false } }));
    expect((await assert({ flags: { uv: false }, signCount: 50 }, { ...expected, requireUserVerification: false })).userVerified).toBe(false);
  });
  test("step 18: BS without BE is refused", () => refusedAt("7.2 step 18", assert({ flags: { bs: true } })));
  test("step 21: a signature made bogus is refused", () => refusedAt("7.2 step 21", assert({ badSignature: true, signCount: 100 })));
  test("step 21: another key's signature is refused", async () => {
    const other = await SoftAuthenticator.create(-7, { credentialId: authenticator.credentialId });
    await refusedAt("7.2 step 21", assert({ signCount: 200 }, expected, record, other));
  });

  describe("step 22: the signature counter", () => {
    test.each([
      [0, 0, true],
      [0, 1, true],
      [5, 6, true],
      [5, 5, false],
      [5, 4, false],
      [5, 0, false],
    ])("stored %i, new %i: accepted %p", async (stored, next, accepted) => {
      const attempt = assert({ signCount: next }, expected, { ...record, signCount: stored });
      if (accepted) expect((await attempt).signCount).toBe(next);
      else await refusedAt("7.2 step 22", attempt);
    });
  });
});

describe("every byte of an assertion", () => {
  test("any one bit changed in authenticatorData, clientDataJSON or the signature is refused, never with another error", async () => {
    const assertion = (await authenticator.authenticate(options, ORIGIN, HANDLE, { signCount: 1000 })) as { response: Record<string, string> };
    let refused = 0;
    for (const part of ["authenticatorData", "clientDataJSON", "signature"]) {
      const bytes = Buffer.from(assertion.response[part]!, "base64url");
      for (let bit = 0; bit < bytes.length * 8; bit++) {
        const changed = Buffer.from(bytes);
        changed[bit >> 3]! ^= 1 << (bit & 7);
        const body = { ...assertion, response: { ...assertion.response, [part]: changed.toString("base64url") } };
        const error = await (async () => verifyAssertion(readAssertion(body), expected, record))().then(() => null, (e: unknown) => e);
        expect(error).toBeInstanceOf(WebAuthnError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(1000);
  });
});
