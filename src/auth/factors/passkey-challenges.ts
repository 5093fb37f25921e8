/**
 * WebAuthn challenges: 32 random bytes, each answerable once and for five minutes, bound to
 * what it was issued for (registering, signing in) and to the user when one was named. Kept in
 * this process's memory, at most MAX_OUTSTANDING at a time (the oldest are forgotten first), so
 * that anyone asking for sign-in options again and again fills nothing.
 */
import type { Clock } from "../../domain/base.ts";
import { toBase64url } from "./webauthn/base64url.ts";

export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
const MAX_OUTSTANDING = 10_000;

export type ChallengePurpose = "register" | "login";

export interface IssuedChallenge {
  purpose: ChallengePurpose;
  /**
   * The user it was issued for: the signed-in user when registering, the one an email named when
   * signing in; "" when an email named no one (no passkey answers it); null: anyone's passkey.
   */
  userId: string | null;
  expiresAt: number;
}

export class Challenges {
  private readonly issued = new Map<string, IssuedChallenge>();

  constructor(private readonly clock: Clock) {}

  issue(purpose: ChallengePurpose, userId: string | null): string {
    const challenge = toBase64url(crypto.getRandomValues(new Uint8Array(32)));
    if (this.issued.size >= MAX_OUTSTANDING) this.sweep();
    while (this.issued.size >= MAX_OUTSTANDING) this.issued.delete(this.issued.keys().next().value!);
    this.issued.set(challenge, { purpose, userId, expiresAt: this.clock() + CHALLENGE_TTL_MS });
    return challenge;
  }

  /**
   * The challenge, once: it is forgotten whatever follows, so that a second answer to it (a
   * replay, or a retry after a failure) is refused. Null when unknown, used, expired, or issued
   * for the other purpose.
   */
  take(challenge: string, purpose: ChallengePurpose): IssuedChallenge | null {
    const found = this.issued.get(challenge);
    if (found === undefined) return null;
    this.issued.delete(challenge);
    if (found.purpose !== purpose || found.expiresAt <= this.clock()) return null;
    return found;
  }

  /** Forgets the expired ones. */
  sweep(): void {
    const now = this.clock();
    for (const [challenge, issued] of this.issued) if (issued.expiresAt <= now) this.issued.delete(challenge);
  }

  get size(): number {
    return this.issued.size;
  }
}
