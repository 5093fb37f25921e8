/**
 * Time limits and back-off for a store reached over the network (PostgreSQL, Redis). A call
 * that gets no answer within the limit fails as unavailable (the request gets a 503 at once,
 * not when the connection finally closes); after a failure, calls fail at once for a short,
 * growing pause, so that an outage costs one connection attempt per pause instead of one per
 * request.
 */
import { StoreUnavailableError } from "./record-store.ts";

/** The first pause after a failure, and the longest; a success ends the pause. */
export const FIRST_PAUSE_MS = 100;
export const LONGEST_PAUSE_MS = 1000;

export class Availability {
  private failures = 0;
  private pausedUntil = 0;

  constructor(
    /** Names the store in messages: "PostgreSQL", "Redis". */
    private readonly name: string,
    private readonly timeoutMs: number,
    /** Which errors mean the store cannot be reached (as opposed to a refused command). */
    private readonly isUnreachable: (error: unknown) => boolean,
  ) {}

  /** Runs `work` within the time limit; StoreUnavailableError when it cannot be reached. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.failures > 0 && Date.now() < this.pausedUntil) throw new StoreUnavailableError(`${this.name}: unreachable, trying again shortly`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`${this.name}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const result = await Promise.race([work(), timeout]);
      this.failures = 0;
      return result;
    } catch (error) {
      const unavailable = error instanceof StoreUnavailableError ? error : this.isUnreachable(error) ? new StoreUnavailableError(`${this.name}: ${(error as Error).message}`) : null;
      if (unavailable === null) throw error;
      this.failures += 1;
      this.pausedUntil = Date.now() + Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (this.failures - 1));
      throw unavailable;
    } finally {
      clearTimeout(timer);
    }
  }
}
