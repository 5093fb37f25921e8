import { expect, test } from "bun:test";
import { codeChallenge, newCodeVerifier } from "../../../src/auth/providers/pkce.ts";

test("RFC 7636 Appendix B: the S256 challenge of the example verifier", async () => {
  expect(await codeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
});

test("RFC 7636 §4.1: a verifier is 43 to 128 unreserved characters, new each time", () => {
  const verifier = newCodeVerifier();
  expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
  expect(newCodeVerifier()).not.toBe(verifier);
});
