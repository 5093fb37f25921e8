import { describe, expect, test } from "bun:test";
import { encodeBase64Url } from "../../../src/auth/providers/base64url.ts";
import { SignInRefused } from "../../../src/auth/providers/errors.ts";
import { importJwk, keyFits, parseCompactJws, verifyJws } from "../../../src/auth/providers/jose.ts";
import { encodePart, makeKey, signToken, type TestAlg } from "./fixtures/keys.ts";

const payload = { iss: "https://op.example", sub: "alice" };

function refusal(work: () => unknown): SignInRefused {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(SignInRefused);
    return error as SignInRefused;
  }
  throw new Error("not refused");
}

describe("verifyJws with each accepted algorithm", () => {
  for (const alg of ["RS256", "PS256", "ES256", "EdDSA"] as TestAlg[]) {
    test(`${alg}: a good signature verifies, one changed byte of payload or signature does not`, async () => {
      const key = await makeKey(alg);
      const token = await signToken(key, payload);
      const jws = parseCompactJws(token);
      const publicKey = (await importJwk(key.jwk, jws.alg))!;
      expect(publicKey).not.toBeNull();
      expect(await verifyJws(jws, publicKey)).toBe(true);
      const [h, p, s] = token.split(".");
      const tampered = parseCompactJws(`${h}.${encodePart({ ...payload, sub: "mallory" })}.${s}`);
      expect(await verifyJws(tampered, publicKey)).toBe(false);
      const signature = jws.signature.slice();
      signature[signature.length - 1]! ^= 1;
      expect(await verifyJws(parseCompactJws(`${h}.${p}.${encodeBase64Url(signature)}`), publicKey)).toBe(false);
    });
  }

  test("a signature by another key of the same kind does not verify", async () => {
    const [signer, other] = [await makeKey("ES256"), await makeKey("ES256")];
    const jws = parseCompactJws(await signToken(signer, payload));
    expect(await verifyJws(jws, (await importJwk(other.jwk, "ES256"))!)).toBe(false);
  });

  test("ES256 wants r||s (64 bytes), not DER", async () => {
    const key = await makeKey("ES256");
    const [h, p, s] = (await signToken(key, payload)).split(".");
    const long = new Uint8Array(72);
    long.set(parseCompactJws(`${h}.${p}.${s}`).signature);
    expect(await verifyJws(parseCompactJws(`${h}.${p}.${encodeBase64Url(long)}`), (await importJwk(key.jwk, "ES256"))!)).toBe(false);
  });
});

describe("parseCompactJws refuses", () => {
  test.each([
    ["none", { alg: "none" }],
    ["HS256 (a client secret is no signature of the provider's)", { alg: "HS256" }],
    ["RS512 (not accepted)", { alg: "RS512" }],
    ["no alg", {}],
    ["a crit extension", { alg: "RS256", crit: ["exp"] }],
    ["a kid that is no string", { alg: "RS256", kid: 7 }],
  ])("a header with %s", (_, header) => {
    expect(refusal(() => parseCompactJws(`${encodePart(header)}.${encodePart(payload)}.AAAA`)).status).toBe(401);
  });

  test("an encrypted token (JWE, five parts): Core §3.1.3.7 step 1", () => {
    expect(refusal(() => parseCompactJws("a.b.c.d.e")).step).toBe("3.1.3.7-1");
  });

  test.each([
    ["two parts", `${encodePart({ alg: "RS256" })}.${encodePart(payload)}`],
    ["an empty signature", `${encodePart({ alg: "RS256" })}.${encodePart(payload)}.`],
    ["padding in a part", `${encodePart({ alg: "RS256" })}.${encodePart(payload)}=.AAAA`],
    ["a payload that is an array", `${encodePart({ alg: "RS256" })}.${encodePart([1])}.AAAA`],
    ["a payload that is not JSON", `${encodePart({ alg: "RS256" })}.${encodeBase64Url(new TextEncoder().encode("{"))}.AAAA`],
    ["a payload that is not UTF-8", `${encodePart({ alg: "RS256" })}.${encodeBase64Url(new Uint8Array([0x7b, 0xff, 0x7d]))}.AAAA`],
    ["a huge token", "a".repeat(20000)],
  ])("%s", (_, token) => {
    expect(refusal(() => parseCompactJws(token)).status).toBe(401);
  });

  test("anything that is not a string", () => {
    expect(refusal(() => parseCompactJws(undefined)).status).toBe(401);
  });
});

describe("keys", () => {
  test("a key is used only for what it is published for", async () => {
    const rsa = (await makeKey("RS256")).jwk;
    expect(keyFits(rsa, "RS256")).toBe(true);
    expect(keyFits(rsa, "PS256")).toBe(false); // published with alg RS256
    expect(keyFits({ ...rsa, alg: undefined }, "PS256")).toBe(true);
    expect(keyFits({ ...rsa, use: "enc" }, "RS256")).toBe(false);
    expect(keyFits({ ...rsa, key_ops: ["encrypt"] }, "RS256")).toBe(false);
    expect(keyFits(rsa, "ES256")).toBe(false);
    const ec = (await makeKey("ES256")).jwk;
    expect(keyFits({ ...ec, crv: "P-384" }, "ES256")).toBe(false);
    const ed = (await makeKey("EdDSA")).jwk;
    expect(keyFits(ed, "EdDSA")).toBe(true);
    expect(keyFits(ed, "Ed25519")).toBe(true);
  });

  test("an RSA key shorter than 2048 bits is not imported", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as Record<string, unknown>;
    expect(await importJwk({ kty: "RSA", n: jwk.n, e: jwk.e }, "RS256")).toBeNull();
  });

  test("a key with members that are not base64url is not imported", async () => {
    const ec = (await makeKey("ES256")).jwk;
    expect(await importJwk({ ...ec, x: "not base64url!" }, "ES256")).toBeNull();
    expect(await importJwk({ ...ec, y: undefined }, "ES256")).toBeNull();
  });
});
