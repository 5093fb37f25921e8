/**
 * Attempt counts in time windows, for throttling logins: in this process's memory, or shared by
 * every instance in PostgreSQL or Redis (postgres/, redis/). A window starts with the first
 * attempt at a key and lasts `windowMs`; the clock is the caller's, so that tests can move it.
 * Counts are of two kinds, per client address and per account, which never share a budget.
 */
import type { MaybePromise } from "../maybe-promise.ts";

/** What a count is of; each kind is its own namespace (and, in memory, its own budget). */
export type AttemptKind = "client" | "account";

export interface AttemptCounters {
  /** Where the counts live, for the start-up line: "memory", "postgresql", "redis". */
  readonly backend: string;
  /**
   * Counts one attempt at `key`, unless `limit` attempts were counted in its window already.
   * Resolves 0 when it counted, else the milliseconds until the window ends (nothing counted).
   * Atomic: of many takes at once, exactly `limit` are counted.
   */
  take(kind: AttemptKind, key: string, limit: number, windowMs: number, now: number): MaybePromise<number>;
  /** Takes back one counted attempt (the attempt turned out not to be a failure). */
  giveBack(kind: AttemptKind, key: string): MaybePromise<void>;
  /** Forgets every attempt at `key`. */
  clear(kind: AttemptKind, key: string): MaybePromise<void>;
  /** Drops the windows that ended before `now`; resolves with how many. */
  sweep(now: number): MaybePromise<number>;
}

/** The key a backend stores a count under: the same for every backend, and as before kinds were typed. */
export function storedKey(kind: AttemptKind, key: string): string {
  return `${kind}:${key}`;
}

interface Window {
  attempts: number;
  /** The limit of the take that counted last: at it, the key is locked until `endsAt`. */
  limit: number;
  endsAt: number;
}

/**
 * Bytes one counted key costs besides its characters (its entry in two Maps, the window object
 * and its numbers): a million keys of 16 characters took 280 MB of RSS in Bun.
 */
const ENTRY_BYTES = 256;

export interface MemoryBudgets {
  /** Bytes the counts per client address may take. */
  clientBytes?: number;
  /** Bytes the counts per account may take, locked accounts apart (see AttemptPool). */
  accountBytes?: number;
}

/**
 * Counts in memory, each kind within its own byte budget, so that no number of client addresses
 * can push out an account's count. Ended windows are dropped as they are met, and by `sweep`.
 */
export class MemoryAttemptCounters implements AttemptCounters {
  readonly backend = "memory";
  private readonly pools: Record<AttemptKind, AttemptPool>;

  constructor({ clientBytes = 16 * 1024 * 1024, accountBytes = 16 * 1024 * 1024 }: MemoryBudgets = {}) {
    // A client key costs the attacker nothing to make (a forged address, a malformed header):
    // its budget is hard. An account key exists only for an account that exists, and each costs
    // a password check: a locked one is kept past the budget rather than unlocked.
    this.pools = { client: new AttemptPool(clientBytes, true), account: new AttemptPool(accountBytes, false) };
  }

  /** What the counts hold, by the estimate the budgets use. */
  get size(): { keys: number; bytes: number } {
    const [client, account] = [this.pools.client.size, this.pools.account.size];
    return { keys: client.keys + account.keys, bytes: client.bytes + account.bytes };
  }

  /** What the counts of one kind hold. */
  sizeOf(kind: AttemptKind): { keys: number; bytes: number } {
    return this.pools[kind].size;
  }

  take(kind: AttemptKind, key: string, limit: number, windowMs: number, now: number): number {
    return this.pools[kind].take(key, limit, windowMs, now);
  }

  giveBack(kind: AttemptKind, key: string): void {
    this.pools[kind].giveBack(key);
  }

  clear(kind: AttemptKind, key: string): void {
    this.pools[kind].clear(key);
  }

  sweep(now: number): number {
    return this.pools.client.sweep(now) + this.pools.account.sweep(now);
  }
}

/**
 * The counts of one kind, within a byte budget. Past it, a key goes whose count is the lowest
 * held, the least recently attempted among equals: pushing out a count of n takes filling the
 * whole budget with counts of n or more, n attempts each, so a flood of single attempts only
 * pushes out other single attempts. A locked key (at its limit, its window running) goes only
 * when `evictLocked`; otherwise the budget is exceeded rather than a lock lifted.
 */
export class AttemptPool {
  private readonly windows = new Map<string, Window>();
  /** attempts → the keys at that count, in order of last attempt (the stalest first). */
  private readonly byCount = new Map<number, Map<string, Window>>();
  private bytes = 0;
  /** When locked keys alone were over the budget, the sweep ran (once a second at most). */
  private sweptAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly maxBytes: number,
    private readonly evictLocked: boolean,
  ) {}

  get size(): { keys: number; bytes: number } {
    return { keys: this.windows.size, bytes: this.bytes };
  }

  take(key: string, limit: number, windowMs: number, now: number): number {
    let window = this.windows.get(key);
    if (window !== undefined && window.endsAt <= now) {
      this.clear(key);
      window = undefined;
    }
    if (window !== undefined && window.attempts >= limit) return window.endsAt - now;
    if (window === undefined) {
      window = { attempts: 0, limit, endsAt: now + windowMs };
      this.windows.set(key, window);
      this.bytes += cost(key);
    } else {
      this.unfile(key, window);
    }
    window.attempts += 1;
    window.limit = limit;
    this.file(key, window);
    if (this.bytes > this.maxBytes) this.makeRoom(key, now);
    return 0;
  }

  giveBack(key: string): void {
    const window = this.windows.get(key);
    if (window === undefined) return;
    if (window.attempts <= 1) {
      this.clear(key);
      return;
    }
    this.unfile(key, window);
    window.attempts -= 1;
    this.file(key, window);
  }

  clear(key: string): void {
    const window = this.windows.get(key);
    if (window === undefined) return;
    this.unfile(key, window);
    this.windows.delete(key);
    this.bytes -= cost(key);
  }

  sweep(now: number): number {
    let dropped = 0;
    for (const [key, window] of this.windows) {
      if (window.endsAt <= now) {
        this.clear(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Drops keys, lowest count first, until the budget holds; never `taken`, the key just counted. */
  private makeRoom(taken: string, now: number): void {
    while (this.bytes > this.maxBytes) {
      const victim = this.lowest(taken, now);
      if (victim === null) {
        // Locked keys alone are over the budget: ended windows may be among them.
        if (now - this.sweptAt >= 1000) {
          this.sweptAt = now;
          if (this.sweep(now) > 0) continue;
        }
        return;
      }
      this.clear(victim);
    }
  }

  /** The stalest key of the lowest count that may go, or null. */
  private lowest(taken: string, now: number): string | null {
    let best: string | null = null;
    let bestCount = Number.POSITIVE_INFINITY;
    for (const [count, keys] of this.byCount) {
      if (count >= bestCount) continue;
      for (const [key, window] of keys) {
        if (key === taken) continue;
        if (!this.evictLocked && window.attempts >= window.limit && window.endsAt > now) break;
        best = key;
        bestCount = count;
        break;
      }
    }
    return best;
  }

  private file(key: string, window: Window): void {
    let keys = this.byCount.get(window.attempts);
    if (keys === undefined) this.byCount.set(window.attempts, (keys = new Map()));
    keys.set(key, window);
  }

  private unfile(key: string, window: Window): void {
    const keys = this.byCount.get(window.attempts);
    keys?.delete(key);
    if (keys?.size === 0) this.byCount.delete(window.attempts);
  }
}

function cost(key: string): number {
  return key.length * 2 + ENTRY_BYTES;
}
