/**
 * The one way a second factor joins the login: the login asks each factor whether the user has
 * it (`enrolled`) and, for those they have, whether the request's fields prove it (`check`).
 * A user with a second factor logs in only when one of theirs answers "ok"; the factor the check
 * used is reported through the context, so that the session records what it proved.
 */
import type { UserRecord } from "../../domain/user.ts";
import type { Factor } from "../../sessions/factors.ts";

/** What a successful check proved (recorded with the session): a recovery code is not a one-time code. */
export type SecondFactorUsed = Extract<Factor, "totp" | "recovery_code" | "passkey" | "passkey_verified">;

export interface LoginContext {
  request: Request;
  /** The client's address (per TRUST_PROXY); null when unknown. */
  clientAddress: string | null;
  /** Called by a check that answers "ok", with what it used. */
  report(used: SecondFactorUsed): void;
}

export type SecondFactorResult = "ok" | "wrong" | "absent";

export interface SecondFactor {
  readonly name: "totp" | "passkey";
  enrolled(userId: string): Promise<boolean>;
  /** "absent": the fields carry nothing for this factor; "wrong": they do, and it does not prove it. */
  check(user: UserRecord, fields: Record<string, unknown>, request: LoginContext): Promise<SecondFactorResult>;
}

export type SecondFactorOutcome =
  /** The user has no second factor: the password was enough. */
  | { result: "none" }
  | { result: "ok"; used: SecondFactorUsed }
  | { result: "wrong" | "absent" };

/** Which of the user's factors the fields prove: the first that answers "ok"; "wrong" if any was tried and none did. */
export async function checkSecondFactors(
  factors: readonly SecondFactor[],
  user: UserRecord,
  fields: Record<string, unknown>,
  context: Omit<LoginContext, "report">,
): Promise<SecondFactorOutcome> {
  let enrolled = 0;
  let wrong = false;
  for (const factor of factors) {
    if (!(await factor.enrolled(user.id))) continue;
    enrolled += 1;
    let used: SecondFactorUsed | null = null;
    const result = await factor.check(user, fields, { ...context, report: (each) => (used = each) });
    if (result === "ok") return { result: "ok", used: used ?? factor.name };
    if (result === "wrong") wrong = true;
  }
  if (enrolled === 0) return { result: "none" };
  return { result: wrong ? "wrong" : "absent" };
}

/** The names of the factors the user has, sorted: what a login that lacks one says they can use. */
export async function enrolledFactors(factors: readonly SecondFactor[], userId: string): Promise<SecondFactor["name"][]> {
  const names: SecondFactor["name"][] = [];
  for (const factor of factors) if (await factor.enrolled(userId)) names.push(factor.name);
  return names.sort();
}

/** Whether the user has any second factor (Basic authentication is refused them). */
export async function hasSecondFactor(factors: readonly SecondFactor[], userId: string): Promise<boolean> {
  for (const factor of factors) if (await factor.enrolled(userId)) return true;
  return false;
}
