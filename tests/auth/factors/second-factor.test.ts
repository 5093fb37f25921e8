import { describe, expect, test } from "bun:test";
import { checkSecondFactors, hasSecondFactor, type SecondFactor, type SecondFactorResult, type SecondFactorUsed } from "../../../src/auth/factors/second-factor.ts";
import { legacyUser } from "../../helpers.ts";

function factor(name: "totp" | "passkey", enrolled: boolean, result: SecondFactorResult, used?: SecondFactorUsed): SecondFactor {
  return {
    name,
    enrolled: async () => enrolled,
    check: async (_user, _fields, context) => {
      if (result === "ok" && used) context.report(used);
      return result;
    },
  };
}

const user = legacyUser("bob@hbtn.io", "x");
const context = { request: new Request("http://127.0.0.1/"), clientAddress: "127.0.0.1" };

describe("checkSecondFactors", () => {
  test.each([
    ["no factors at all", [], { result: "none" }],
    ["factors the user does not have", [factor("totp", false, "wrong")], { result: "none" }],
    ["one enrolled, proved, reporting what it used", [factor("totp", true, "ok", "recovery_code")], { result: "ok", used: "recovery_code" }],
    ["one enrolled, proved, reporting nothing: its name", [factor("totp", true, "ok")], { result: "ok", used: "totp" }],
    ["one enrolled, nothing given", [factor("totp", true, "absent")], { result: "absent" }],
    ["one enrolled, wrong", [factor("totp", true, "wrong")], { result: "wrong" }],
    ["two enrolled, one wrong and one proved: proved", [factor("totp", true, "wrong"), factor("passkey", true, "ok", "passkey")], { result: "ok", used: "passkey" }],
    ["two enrolled, one wrong and one absent: wrong", [factor("totp", true, "absent"), factor("passkey", true, "wrong")], { result: "wrong" }],
  ] as const)("%s", async (_, factors, outcome) => {
    expect(await checkSecondFactors(factors as readonly SecondFactor[], user, {}, context)).toEqual(outcome);
  });
});

test("hasSecondFactor: any enrolled one", async () => {
  expect(await hasSecondFactor([], user.id)).toBe(false);
  expect(await hasSecondFactor([factor("totp", false, "ok"), factor("passkey", true, "ok")], user.id)).toBe(true);
});
