import { expect, test } from "bun:test";
import { FACTORS, factorsText, isMultiFactor, PASSWORD_ONLY, storedFactors } from "../../src/sessions/factors.ts";

test("a session stored without factors proves a password, as the original's sessions did", () => {
  expect(storedFactors(undefined)).toEqual(["password"]);
  expect(storedFactors(null)).toEqual(["password"]);
  expect(storedFactors("")).toEqual(["password"]);
  expect(factorsText(PASSWORD_ONLY)).toBeNull();
});

test("factors round-trip through their stored text; names this version does not know are dropped", () => {
  for (const factor of FACTORS) expect(storedFactors(factorsText(["password", factor]) ?? "")).toEqual(factor === "password" ? ["password"] : ["password", factor]);
  expect(storedFactors("password,totp,retina")).toEqual(["password", "totp"]);
  expect(storedFactors("retina")).toEqual(["password"]);
  expect(factorsText(["password", "totp", "totp"])).toBe("password,totp");
});

test("two factors, or one that counts as two, make a multi-factor session", () => {
  expect(isMultiFactor(["password"])).toBe(false);
  expect(isMultiFactor(["oidc"])).toBe(false);
  expect(isMultiFactor(["passkey"])).toBe(false);
  expect(isMultiFactor(["password", "totp"])).toBe(true);
  expect(isMultiFactor(["password", "recovery_code"])).toBe(true);
  expect(isMultiFactor(["password", "passkey"])).toBe(true);
  expect(isMultiFactor(["passkey_verified"])).toBe(true);
  expect(isMultiFactor(["oidc_mfa"])).toBe(true);
  expect(isMultiFactor(["oidc", "totp"])).toBe(true);
});
