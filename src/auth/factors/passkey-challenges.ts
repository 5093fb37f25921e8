/**
 * WebAuthn challenges: 32 random bytes, each answerable once and for five minutes, bound to
 * what it was issued for (registering, signing in) and to the user when one was named; kept in
 * a ChallengeStore (memory, or PostgreSQL for instances that share it).
 */
import type { Clock } from "../../domain/base.ts";
import type { ChallengePurpose, ChallengeStore, IssuedChallenge } from "../../storage/challenge-store.ts";
import { toBase64url } from "./webauthn/base64url.ts";

export const CHALLENGE_TTL_MS = 5 * 60 * 1000;

export type { ChallengePurpose, IssuedChallenge };

export class Challenges {
  constructor(
    private readonly store: ChallengeStore,
    private readonly clock: Clock,
  ) {}

  async issue(purpose: ChallengePurpose, userId: string | null): Promise<string> {
    const challenge = toBase64url(crypto.getRandomValues(new Uint8Array(32)));
    const now = this.clock();
    await this.store.put(challenge, { purpose, userId, expiresAt: now + CHALLENGE_TTL_MS }, now);
    return challenge;
  }

  /**
   * The challenge, once: it is forgotten whatever follows, so that a second answer to it (a
   * replay, or a retry after a failure) is refused. Null when unknown, used, expired, or issued
   * for the other purpose.
   */
  async take(challenge: string, purpose: ChallengePurpose): Promise<IssuedChallenge | null> {
    // Only what could be one of ours is looked up: 32 bytes, base64url.
    if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) return null;
    const found = await this.store.take(challenge);
    if (found === null || found.purpose !== purpose || found.expiresAt <= this.clock()) return null;
    return found;
  }
}
