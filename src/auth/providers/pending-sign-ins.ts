/**
 * Sign-ins under way: what the login step chose (nonce, PKCE verifier, return address) kept on
 * the server under the `state` it sent, for the callback to take once. A state expires ten
 * minutes after it was made; at most MAX_PENDING wait at once, the oldest given up first, so
 * that a flood of login visits costs bounded memory. Kept in this process's memory: the
 * callback must reach the instance that sent the browser away.
 */
import type { PendingSignIn } from "./identity-provider.ts";

export const PENDING_LIFETIME_MS = 10 * 60 * 1000;
export const MAX_PENDING = 10_000;

export interface PendingEntry extends PendingSignIn {
  provider: string;
  returnTo: string | null;
  expiresAt: number;
}

export class PendingSignIns {
  private readonly entries = new Map<string, PendingEntry>();

  constructor(private readonly now: () => number = Date.now) {}

  add(state: string, entry: Omit<PendingEntry, "expiresAt">): void {
    this.sweep();
    // Map keeps insertion order, and every entry lives as long: the first is the oldest.
    while (this.entries.size >= MAX_PENDING) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(state, { ...entry, expiresAt: this.now() + PENDING_LIFETIME_MS });
  }

  /** The entry, removed so that no second callback can use it; null when unknown or expired. */
  take(state: string): PendingEntry | null {
    const entry = this.entries.get(state);
    if (entry === undefined) return null;
    this.entries.delete(state);
    return entry.expiresAt > this.now() ? entry : null;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries from the front (the oldest). */
  private sweep(): void {
    const now = this.now();
    for (const [state, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(state);
    }
  }
}
