/**
 * What a session proves: the factors its sign-in passed. Stored with the session as one text
 * field (names joined by commas); a session stored without one (the original program's, or one
 * made by a password alone) proves a password.
 */
export const FACTORS = ["password", "totp", "recovery_code", "passkey", "passkey_verified", "oidc", "oidc_mfa"] as const;

export type Factor = (typeof FACTORS)[number];

/** A password sign-in: what a session proves when nothing else is said. */
export const PASSWORD_ONLY: readonly Factor[] = Object.freeze(["password"] as const);

/**
 * How many factors each counts for: a passkey with user verification proves possession and the
 * user's PIN or biometric; a provider that reports multi-factor authentication proves two.
 */
const WEIGHT: Readonly<Record<Factor, number>> = {
  password: 1,
  totp: 1,
  recovery_code: 1,
  passkey: 1,
  passkey_verified: 2,
  oidc: 1,
  oidc_mfa: 2,
};

const KNOWN: ReadonlySet<string> = new Set(FACTORS);

export function isFactor(name: unknown): name is Factor {
  return typeof name === "string" && KNOWN.has(name);
}

/** True when the factors count two or more: what a `two_factor` access rule asks for. */
export function isMultiFactor(factors: readonly Factor[]): boolean {
  let count = 0;
  for (const factor of factors) count += WEIGHT[factor];
  return count >= 2;
}

/** The stored text of a session's factors: null for a password alone, so such records stay as the original's. */
export function factorsText(factors: readonly Factor[]): string | null {
  if (factors.length === 0 || (factors.length === 1 && factors[0] === "password")) return null;
  return [...new Set(factors)].join(",");
}

/** The factors a stored text names: a password when there is none; names this version does not know are dropped. */
export function storedFactors(text: unknown): readonly Factor[] {
  if (typeof text !== "string" || text === "") return PASSWORD_ONLY;
  const factors = text.split(",").filter(isFactor);
  return factors.length === 0 ? PASSWORD_ONLY : Object.freeze(factors);
}
