/**
 * Login throttling (OWASP Authentication Cheat Sheet, "Protect against automated attacks"):
 * attempts are counted per client address and per account before the password is checked, so
 * that no burst gets more checks than the limits allow; an attempt that succeeds is given back.
 * Past a limit, attempts are refused unchecked until the window that began with the first ends.
 * The counts live where AttemptCounters keeps them: memory, PostgreSQL or Redis; the two kinds
 * never share a budget, and no key is longer than a hash, whatever address it is made from.
 */
import type { Clock } from "../domain/base.ts";
import type { AttemptCounters, AttemptKind } from "../storage/attempt-counters.ts";
import { MemoryAttemptCounters } from "../storage/attempt-counters.ts";

/** An attempt refused unchecked because its client or account failed too often; the server answers 429. */
export class ThrottledError extends Error {
  override name = "ThrottledError";
  constructor(readonly retryAfterSeconds: number) {
    super("too many attempts");
  }
}

export interface ThrottleLimits {
  /** Attempts allowed in one window; 0 turns this counter off. */
  maxFailures: number;
  windowSeconds: number;
}

export interface LoginThrottleOptions {
  perClient: ThrottleLimits;
  perAccount: ThrottleLimits;
  clock: Clock;
  counters?: AttemptCounters;
  /** Told of each refusal (the metrics count them; an account's first one goes to the audit trail). */
  onRefused?: (kind: AttemptKind, key: string, waitMs: number) => void;
}

/** Both counters, for session logins and Basic credentials alike. */
export class LoginThrottle {
  private readonly counters: AttemptCounters;

  constructor(private readonly options: LoginThrottleOptions) {
    this.counters = options.counters ?? new MemoryAttemptCounters();
  }

  /** Counts an attempt from a client address; ThrottledError (nothing counted) past its limit. */
  takeClient(client: string): Promise<void> {
    return this.take("client", boundedKey(client), this.options.perClient);
  }

  /** Counts an attempt at an account (as throttleAccount names it); ThrottledError (nothing counted) past its limit. */
  takeAccount(userId: string): Promise<void> {
    return this.take("account", boundedKey(userId), this.options.perAccount);
  }

  /** An attempt from this client that turned out not to be a failure. */
  async giveBackClient(client: string): Promise<void> {
    if (this.options.perClient.maxFailures > 0) await this.counters.giveBack("client", boundedKey(client));
  }

  async giveBackAccount(userId: string): Promise<void> {
    if (this.options.perAccount.maxFailures > 0) await this.counters.giveBack("account", boundedKey(userId));
  }

  /** The account's password was given: its count starts again. */
  async clearAccount(userId: string): Promise<void> {
    if (this.options.perAccount.maxFailures > 0) await this.counters.clear("account", boundedKey(userId));
  }

  /** Drops ended windows; resolves with how many. */
  async sweep(): Promise<number> {
    return this.counters.sweep(this.options.clock());
  }

  private async take(kind: AttemptKind, key: string, limits: ThrottleLimits): Promise<void> {
    if (limits.maxFailures <= 0) return;
    const waitMs = await this.counters.take(kind, key, limits.maxFailures, limits.windowSeconds * 1000, this.options.clock());
    if (waitMs > 0) {
      this.options.onRefused?.(kind, key, waitMs);
      throw new ThrottledError(Math.max(1, Math.ceil(waitMs / 1000)));
    }
  }
}

/** An address or a user id as long as one can be: kept as it is. */
const LONGEST_KEY = 64;

/**
 * A key of bounded size whatever it is made from: a longer value (an address no one checked,
 * an odd user id from a data file) is counted under its SHA-256, which no address or id can
 * be mistaken for.
 */
export function boundedKey(value: string): string {
  return value.length <= LONGEST_KEY ? value : `sha256:${Bun.SHA256.hash(value, "base64")}`;
}
