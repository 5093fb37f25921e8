/** OpenID Connect Core 1.0 §3.1.3.7, one test per step that a relying party checks in the claims. */
import { describe, expect, test } from "bun:test";
import { SignInRefused } from "../../../src/auth/providers/errors.ts";
import { amrSaysMultiFactor, CLOCK_LEEWAY_SECONDS, validateIdTokenClaims } from "../../../src/auth/providers/id-token.ts";

const now = 1_800_000_000;
const expected = { issuer: "https://op.example", clientId: "client-1", nonce: "n-0S6_WzA2Mj", now };
const good = { iss: "https://op.example", sub: "248289761001", aud: "client-1", exp: now + 300, iat: now - 5, nonce: "n-0S6_WzA2Mj", email: "a@example.com" };

function stepOf(claims: Record<string, unknown>): string {
  try {
    validateIdTokenClaims(claims, expected);
  } catch (error) {
    expect(error).toBeInstanceOf(SignInRefused);
    expect((error as SignInRefused).status).toBe(401);
    return (error as SignInRefused).step;
  }
  return "accepted";
}

describe("§3.1.3.7", () => {
  test("a good token passes and its claims come through", () => {
    const result = validateIdTokenClaims(good, expected);
    expect(result.sub).toBe("248289761001");
    expect(result.aud).toEqual(["client-1"]);
    expect(result.claims.email).toBe("a@example.com");
  });

  test("step 2: iss must match the issuer exactly", () => {
    expect(stepOf({ ...good, iss: "https://op.example/" })).toBe("3.1.3.7-2");
    expect(stepOf({ ...good, iss: "https://evil.example" })).toBe("3.1.3.7-2");
    expect(stepOf({ ...good, iss: undefined })).toBe("3.1.3.7-2");
  });

  test("step 3: aud must contain our client_id", () => {
    expect(stepOf({ ...good, aud: "client-2" })).toBe("3.1.3.7-3");
    expect(stepOf({ ...good, aud: [] })).toBe("3.1.3.7-3");
    expect(stepOf({ ...good, aud: [1] })).toBe("3.1.3.7-3");
    expect(stepOf({ ...good, aud: undefined })).toBe("3.1.3.7-3");
    expect(stepOf({ ...good, aud: ["client-1"] })).toBe("accepted");
  });

  test("step 4: several audiences need an azp", () => {
    expect(stepOf({ ...good, aud: ["client-1", "other"] })).toBe("3.1.3.7-4");
    expect(stepOf({ ...good, aud: ["client-1", "other"], azp: "client-1" })).toBe("accepted");
  });

  test("step 5: an azp must be our client_id", () => {
    expect(stepOf({ ...good, aud: ["client-1", "other"], azp: "other" })).toBe("3.1.3.7-5");
    expect(stepOf({ ...good, azp: "other" })).toBe("3.1.3.7-5");
  });

  test(`step 9: exp in the past by more than ${CLOCK_LEEWAY_SECONDS} s is refused; within it, accepted`, () => {
    expect(stepOf({ ...good, exp: now - CLOCK_LEEWAY_SECONDS - 1 })).toBe("3.1.3.7-9");
    expect(stepOf({ ...good, exp: now - CLOCK_LEEWAY_SECONDS })).toBe("accepted");
    expect(stepOf({ ...good, exp: "soon" })).toBe("3.1.3.7-9");
    expect(stepOf({ ...good, exp: undefined })).toBe("3.1.3.7-9");
  });

  test(`step 10: iat in the future by more than ${CLOCK_LEEWAY_SECONDS} s is refused`, () => {
    expect(stepOf({ ...good, iat: now + CLOCK_LEEWAY_SECONDS + 1 })).toBe("3.1.3.7-10");
    expect(stepOf({ ...good, iat: now + CLOCK_LEEWAY_SECONDS })).toBe("accepted");
    expect(stepOf({ ...good, iat: undefined })).toBe("3.1.3.7-10");
  });

  test("step 11: the nonce must be this login's", () => {
    expect(stepOf({ ...good, nonce: "another" })).toBe("3.1.3.7-11");
    expect(stepOf({ ...good, nonce: undefined })).toBe("3.1.3.7-11");
  });

  test("§2: sub is a non-empty string of at most 255 characters", () => {
    expect(stepOf({ ...good, sub: "" })).toBe("2-sub");
    expect(stepOf({ ...good, sub: 42 })).toBe("2-sub");
    expect(stepOf({ ...good, sub: "x".repeat(256) })).toBe("2-sub");
  });
});

describe("amrSaysMultiFactor (RFC 8176)", () => {
  test.each([
    [["mfa"], true],
    [["pwd", "otp"], true],
    [["pwd", "hwk"], true],
    [["pwd"], false],
    [["otp"], false],
    [["pwd", "kba"], false],
    ["mfa", false],
    [undefined, false],
  ])("%p → %p", (amr, multi) => {
    expect(amrSaysMultiFactor(amr)).toBe(multi);
  });
});
