/**
 * Where WebAuthn challenges wait for their answer: in this process's memory, or in PostgreSQL
 * when instances share it (REUSE_PORT), so that a ceremony may begin on one instance and end on
 * another. Either keeps at most MAX_CHALLENGES (the oldest are dropped first): anyone may ask
 * for sign-in options, and asking again and again fills nothing.
 */
import type { MaybePromise } from "../maybe-promise.ts";

export const MAX_CHALLENGES = 10_000;

export type ChallengePurpose = "register" | "login";

export interface IssuedChallenge {
  purpose: ChallengePurpose;
  /**
   * The user it was issued for: the signed-in user when registering, the one an email named when
   * signing in; "" when an email named no one (no passkey answers it); null: anyone's passkey.
   */
  userId: string | null;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface ChallengeStore {
  readonly backend: string;
  put(challenge: string, issued: IssuedChallenge, now: number): MaybePromise<void>;
  /** The challenge's entry, removed in the same step: of two takers (two instances), one gets it. */
  take(challenge: string): MaybePromise<IssuedChallenge | null>;
}

export class MemoryChallengeStore implements ChallengeStore {
  readonly backend = "memory";
  private readonly issued = new Map<string, IssuedChallenge>();

  put(challenge: string, issued: IssuedChallenge, now: number): void {
    if (this.issued.size >= MAX_CHALLENGES) {
      for (const [key, entry] of this.issued) if (entry.expiresAt <= now) this.issued.delete(key);
    }
    while (this.issued.size >= MAX_CHALLENGES) this.issued.delete(this.issued.keys().next().value!);
    this.issued.set(challenge, issued);
  }

  take(challenge: string): IssuedChallenge | null {
    const found = this.issued.get(challenge);
    if (found === undefined) return null;
    this.issued.delete(challenge);
    return found;
  }

  get size(): number {
    return this.issued.size;
  }
}
