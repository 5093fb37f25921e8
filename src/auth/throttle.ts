/**
 * Login throttling (OWASP Authentication Cheat Sheet, "Protect against automated attacks"):
 * failed password checks are counted per client address and per account; past the limit,
 * further attempts are refused until the window that started with the first failure ends.
 */
import type { Clock } from "../models/base.ts";

/** An attempt refused unchecked because its client or account failed too often; the server answers 429. */
export class ThrottledError extends Error {
  override name = "ThrottledError";
  constructor(readonly retryAfterSeconds: number) {
    super("too many attempts");
  }
}

export interface ThrottleLimits {
  /** Failures allowed in one window; 0 turns this counter off. */
  maxFailures: number;
  windowSeconds: number;
}

interface Window {
  failures: number;
  startedAt: number;
}

/** Failure counts for one kind of key, in bounded memory: the least recently failed go first. */
export class FailureCounter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until `key` may try again; 0 if it may now. */
  retryAfter(key: string): number {
    if (this.limits.maxFailures <= 0) return 0;
    const window = this.current(key);
    if (!window || window.failures < this.limits.maxFailures) return 0;
    return Math.max(1, Math.ceil((window.startedAt + this.limits.windowSeconds * 1000 - this.clock()) / 1000));
  }

  fail(key: string): void {
    if (this.limits.maxFailures <= 0) return;
    const window = this.current(key) ?? { failures: 0, startedAt: this.clock() };
    window.failures += 1;
    // Re-inserting keeps the Map ordered by last failure, so eviction drops the stalest.
    this.windows.delete(key);
    this.windows.set(key, window);
    while (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  get size(): number {
    return this.windows.size;
  }

  private current(key: string): Window | undefined {
    const window = this.windows.get(key);
    if (window && this.clock() - window.startedAt >= this.limits.windowSeconds * 1000) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }
}

export interface LoginThrottleOptions {
  perClient: ThrottleLimits;
  perAccount: ThrottleLimits;
  clock: Clock;
  maxKeys?: number;
}

/** Both counters, for session logins and Basic credentials alike. */
export class LoginThrottle {
  private readonly byClient: FailureCounter;
  private readonly byAccount: FailureCounter;

  constructor(options: LoginThrottleOptions) {
    this.byClient = new FailureCounter(options.perClient, options.clock, options.maxKeys);
    this.byAccount = new FailureCounter(options.perAccount, options.clock, options.maxKeys);
  }

  /** Seconds to wait before this attempt may be checked; 0 if it may be checked now. A null client is not counted. */
  retryAfter(client: string | null, account: string | null): number {
    return Math.max(client === null ? 0 : this.byClient.retryAfter(client), account === null ? 0 : this.byAccount.retryAfter(accountKey(account)));
  }

  /** A wrong password (account set) or an unknown account (null). */
  failed(client: string | null, account: string | null): void {
    if (client !== null) this.byClient.fail(client);
    if (account !== null) this.byAccount.fail(accountKey(account));
  }

  /** A successful login clears the account's count (not the client's: one good password does not vouch for the rest). */
  succeeded(account: string): void {
    this.byAccount.reset(accountKey(account));
  }
}

function accountKey(email: string): string {
  return email.toLowerCase();
}
