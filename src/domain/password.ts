/**
 * Password hashing behind two functions. New hashes are argon2id; records written by the
 * original program hold a lowercase hex SHA-256 and keep working until they are upgraded.
 */

/** OWASP Password Storage Cheat Sheet minimum for argon2id: 19 MiB, 2 iterations, 1 lane. */
export const ARGON2_OPTIONS = { algorithm: "argon2id", memoryCost: 19456, timeCost: 2 } as const;

const LEGACY_SHA256 = /^[0-9a-f]{64}$/;

export interface PasswordCheck {
  valid: boolean;
  /** The stored hash is weaker than today's: store a new one after this successful check. */
  needsRehash: boolean;
  /** Whether the check cost a slow hash (argon2, bcrypt); false for SHA-256, none or a damaged one. */
  costly: boolean;
}

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(password: string, stored: string | null | undefined): Promise<PasswordCheck> {
  if (typeof stored !== "string" || stored === "") return { valid: false, needsRehash: false, costly: false };
  if (LEGACY_SHA256.test(stored)) {
    const digest = new Bun.CryptoHasher("sha256").update(password).digest();
    // Bun's global crypto has it too; importing node:crypto for it would add ~3 ms to start-up.
    const valid = crypto.timingSafeEqual(digest, Buffer.from(stored, "hex"));
    return { valid, needsRehash: valid, costly: false };
  }
  if (!stored.startsWith("$argon2") && !stored.startsWith("$2")) return { valid: false, needsRehash: false, costly: false };
  try {
    const valid = await Bun.password.verify(password, stored);
    return { valid, needsRehash: valid && !stored.startsWith("$argon2id$"), costly: true };
  } catch {
    // Bun throws on a malformed hash; a damaged record simply does not match.
    return { valid: false, needsRehash: false, costly: false };
  }
}

let dummyHash: Promise<string> | null = null;

/**
 * Spends the time of a real check when there is no user to check against, so that response
 * time does not tell which emails have accounts.
 */
export async function verifyAgainstDummy(password: string): Promise<void> {
  dummyHash ??= hashPassword("session-auth timing equaliser");
  await verifyPassword(password, await dummyHash);
}

/** The original program's hash, for reading and writing its files. */
export function legacySha256(password: string): string {
  return new Bun.CryptoHasher("sha256").update(password).digest("hex");
}
