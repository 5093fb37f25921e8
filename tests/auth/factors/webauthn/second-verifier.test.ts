/**
 * Our verifier against a second one: Debian's python3-fido2 (run by /usr/bin/python3) checks the
 * same ceremonies, a recorded one made by Chromium's own WebAuthn stack and fresh ones from Web
 * Crypto key pairs of each algorithm, and both must agree: on what they parse (credential id,
 * algorithm, counter, flags) and on which ceremonies pass and which are refused.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readAssertion, verifyAssertion } from "../../../../src/auth/factors/webauthn/authentication.ts";
import { parseAuthenticatorData } from "../../../../src/auth/factors/webauthn/authenticator-data.ts";
import { fromBase64url } from "../../../../src/auth/factors/webauthn/base64url.ts";
import { readRegistration, verifyRegistration } from "../../../../src/auth/factors/webauthn/registration.ts";
import { type CeremonyKnobs, SoftAuthenticator } from "./soft-authenticator.ts";

const PYTHON = "/usr/bin/python3";
const haveFido2 = existsSync(PYTHON) && Bun.spawnSync([PYTHON, "-c", "import fido2"]).exitCode === 0;
if (!haveFido2) console.warn("skipping the second verifier: no python3-fido2 (apt-get install python3-fido2)");

interface Ceremonies {
  rpId: string;
  origin: string;
  userHandle: string;
  registration: { challenge: string; credential: Record<string, any> };
  assertions: { challenge: string; credential: Record<string, any> }[];
}

interface Fido2Answer {
  registration: { ok: boolean; error?: string; credentialId?: string; alg?: number; counter?: number; flags?: Record<string, boolean> };
  assertions: { ok: boolean; error?: string; counter?: number; flags?: Record<string, boolean> }[];
}

function fido2(ceremonies: Ceremonies): Fido2Answer {
  const run = Bun.spawnSync([PYTHON, join(import.meta.dir, "fido2_verify.py")], { stdin: Buffer.from(JSON.stringify(ceremonies)) });
  if (run.exitCode !== 0) throw new Error(run.stderr.toString());
  return JSON.parse(run.stdout.toString());
}

/** Ours, the same ceremonies in order (each assertion checked against the counter the previous one left). */
async function ours(ceremonies: Ceremonies) {
  const origins = new Set([ceremonies.origin]);
  const result: { registration: Record<string, unknown>; assertions: Record<string, unknown>[] } = { registration: {}, assertions: [] };
  let record: { credentialId: string; publicKey: string; signCount: number } | null = null;
  try {
    const verified = await verifyRegistration(readRegistration(ceremonies.registration.credential), { challenge: ceremonies.registration.challenge, origins, rpId: ceremonies.rpId, requireUserVerification: true, algorithms: [-7, -8, -257] });
    record = { credentialId: verified.credentialId, publicKey: verified.publicKey, signCount: verified.signCount };
    result.registration = { ok: true, credentialId: verified.credentialId, alg: verified.algorithm, counter: verified.signCount, flags: { up: true, uv: verified.userVerified, be: verified.backupEligible, bs: verified.backupState } };
  } catch (error) {
    result.registration = { ok: false, error: (error as Error).message };
  }
  for (const { challenge, credential } of ceremonies.assertions) {
    try {
      if (record === null) throw new Error("no registered credential");
      const assertion = readAssertion(credential);
      const verified = await verifyAssertion(assertion, { challenge, origins, rpId: ceremonies.rpId, requireUserVerification: true, allowCredentials: [], userHandle: ceremonies.userHandle, userIdentified: false }, record);
      record = { ...record, signCount: verified.signCount };
      const { flags } = parseAuthenticatorData(fromBase64url(credential.response.authenticatorData)!, "-");
      result.assertions.push({ ok: true, counter: verified.signCount, flags: { up: flags.up, uv: flags.uv, be: flags.be, bs: flags.bs } });
    } catch (error) {
      result.assertions.push({ ok: false, error: (error as Error).message });
    }
  }
  return result;
}

function agree(mine: Awaited<ReturnType<typeof ours>>, theirs: Fido2Answer): void {
  expect(mine.registration.ok).toBe(theirs.registration.ok);
  if (theirs.registration.ok) {
    for (const field of ["credentialId", "alg", "counter", "flags"] as const) expect(mine.registration[field]).toEqual(theirs.registration[field]);
  }
  expect(mine.assertions.map((a) => a.ok)).toEqual(theirs.assertions.map((a) => a.ok));
  theirs.assertions.forEach((assertion, i) => {
    if (assertion.ok) expect({ counter: mine.assertions[i]!.counter, flags: mine.assertions[i]!.flags }).toEqual({ counter: assertion.counter, flags: assertion.flags });
  });
}

const recorded = JSON.parse(readFileSync(join(import.meta.dir, "../../../fixtures/webauthn/chromium-es256.json"), "utf8"));
function recordedCeremonies(): Ceremonies {
  return {
    rpId: recorded.rpId,
    origin: recorded.origin,
    userHandle: recorded.userHandle,
    registration: { challenge: recorded.creationOptions.challenge, credential: recorded.registration },
    assertions: recorded.assertions.map((a: { options: { challenge: string }; credential: unknown }) => ({ challenge: a.options.challenge, credential: a.credential })),
  };
}

const HANDLE = Buffer.from("user-1").toString("base64url");
async function fresh(alg: -7 | -8 | -257, knobs: CeremonyKnobs = {}, at: "registration" | "assertion" = "assertion"): Promise<Ceremonies> {
  const key = await SoftAuthenticator.create(alg);
  const origin = "https://login.example.com";
  const rp = { challenge: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url"), rp: { id: "example.com" } };
  const registration = { challenge: rp.challenge, credential: await key.register(rp, origin, at === "registration" ? knobs : {}) };
  const assertions = [];
  for (let i = 0; i < 2; i++) {
    const challenge = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    assertions.push({ challenge, credential: await key.authenticate({ challenge, rpId: "example.com" }, origin, HANDLE, at === "assertion" && i === 1 ? knobs : {}) });
  }
  return { rpId: "example.com", origin, userHandle: HANDLE, registration, assertions };
}

describe.skipIf(!haveFido2)("a second verifier (python3-fido2) agrees", () => {
  test("on the ceremonies Chromium recorded: its registration and two sign-ins", async () => {
    const ceremonies = recordedCeremonies();
    const theirs = fido2(ceremonies);
    expect(theirs.registration.ok).toBe(true);
    expect(theirs.assertions.map((a) => a.ok)).toEqual([true, true]);
    agree(await ours(ceremonies), theirs);
  });

  test("on the recorded ceremonies tampered with: a changed signature, challenge, origin or RP ID", async () => {
    const base = recordedCeremonies();
    const bogus = structuredClone(base);
    const signature = Buffer.from(bogus.assertions[0]!.credential.response.signature, "base64url");
    signature[signature.length - 1]! ^= 1;
    bogus.assertions[0]!.credential.response.signature = signature.toString("base64url");
    const variants: Ceremonies[] = [bogus, { ...structuredClone(base), origin: "http://localhost:1" }, { ...structuredClone(base), rpId: "example.com" }];
    const challenged = structuredClone(base);
    challenged.assertions[1]!.challenge = challenged.assertions[0]!.challenge;
    variants.push(challenged);
    for (const ceremonies of variants) {
      const theirs = fido2(ceremonies);
      expect([theirs.registration.ok, ...theirs.assertions.map((a) => a.ok)]).toContain(false);
      agree(await ours(ceremonies), theirs);
    }
  });

  for (const alg of [-7, -8, -257] as const) {
    test(`on fresh ceremonies of alg ${alg}, and on each made wrong in one way`, async () => {
      const good = await fresh(alg);
      const theirs = fido2(good);
      expect([theirs.registration.ok, ...theirs.assertions.map((a) => a.ok)]).toEqual([true, true, true]);
      agree(await ours(good), theirs);
      const wrong: [CeremonyKnobs, "registration" | "assertion"][] = [
        [{ badSignature: true }, "assertion"],
        [{ origin: "https://evil.example" }, "assertion"],
        [{ rpId: "evil.example" }, "assertion"],
        [{ type: "webauthn.create" }, "assertion"],
        [{ flags: { uv: false } }, "assertion"],
        [{ flags: { up: false } }, "assertion"],
        [{ origin: "https://evil.example" }, "registration"],
        [{ flags: { uv: false } }, "registration"],
        [{ challenge: "AAAAAAAAAAAAAAAAAAAAAA" }, "registration"],
      ];
      for (const [knobs, at] of wrong) {
        const ceremonies = await fresh(alg, knobs, at);
        const answer = fido2(ceremonies);
        expect([answer.registration.ok, ...answer.assertions.map((a) => a.ok)]).toContain(false);
        agree(await ours(ceremonies), answer);
      }
    });
  }
});
