/**
 * Attempt counts in time windows, for throttling logins: in this process's memory, or shared by
 * every instance in PostgreSQL or Redis (postgres/, redis/). A window starts with the first
 * attempt at a key and lasts `windowMs`; the clock is the caller's, so that tests can move it.
 */
import type { MaybePromise } from "./record-store.ts";

export interface AttemptCounters {
  /** Where the counts live, for the start-up line: "memory", "postgresql", "redis". */
  readonly backend: string;
  /**
   * Counts one attempt at `key`, unless `limit` attempts were counted in its window already.
   * Resolves 0 when it counted, else the milliseconds until the window ends (nothing counted).
   * Atomic: of many takes at once, exactly `limit` are counted.
   */
  take(key: string, limit: number, windowMs: number, now: number): MaybePromise<number>;
  /** Takes back one counted attempt (the attempt turned out not to be a failure). */
  giveBack(key: string): MaybePromise<void>;
  /** Forgets every attempt at `key`. */
  clear(key: string): MaybePromise<void>;
  /** Drops the windows that ended before `now`; resolves with how many. */
  sweep(now: number): MaybePromise<number>;
}

interface Window {
  attempts: number;
  endsAt: number;
}

/** Bytes one counted key costs besides its characters (Map entry, object, numbers), measured roughly. */
const ENTRY_BYTES = 96;

/**
 * Counts in memory, within a byte budget: past it, the keys attempted least recently go first.
 * Ended windows are dropped as they are met, and by `sweep`.
 */
export class MemoryAttemptCounters implements AttemptCounters {
  readonly backend = "memory";
  /** In order of last attempt, so that eviction drops the stalest. */
  private readonly windows = new Map<string, Window>();
  private bytes = 0;

  constructor(private readonly maxBytes = 16 * 1024 * 1024) {}

  /** Bytes the counts hold, by the same estimate the budget uses. */
  get size(): { keys: number; bytes: number } {
    return { keys: this.windows.size, bytes: this.bytes };
  }

  take(key: string, limit: number, windowMs: number, now: number): number {
    let window = this.windows.get(key);
    if (window !== undefined && window.endsAt <= now) {
      this.delete(key);
      window = undefined;
    }
    if (window !== undefined && window.attempts >= limit) return window.endsAt - now;
    if (window === undefined) {
      window = { attempts: 0, endsAt: now + windowMs };
      this.bytes += cost(key);
    } else {
      this.windows.delete(key);
    }
    window.attempts += 1;
    this.windows.set(key, window);
    while (this.bytes > this.maxBytes && this.windows.size > 1) this.delete(this.windows.keys().next().value!);
    return 0;
  }

  giveBack(key: string): void {
    const window = this.windows.get(key);
    if (window === undefined) return;
    window.attempts -= 1;
    if (window.attempts <= 0) this.delete(key);
  }

  clear(key: string): void {
    this.delete(key);
  }

  sweep(now: number): number {
    let dropped = 0;
    for (const [key, window] of this.windows) {
      if (window.endsAt <= now) {
        this.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  private delete(key: string): void {
    if (this.windows.delete(key)) this.bytes -= cost(key);
  }
}

function cost(key: string): number {
  return key.length * 2 + ENTRY_BYTES;
}
