/**
 * One Redis connection through Bun's client, shared by the stores of one process, with a time
 * limit on every command: a Redis that hangs, has gone away or is out of memory makes the
 * command fail as unavailable (503), and the next one connects again.
 */
import type { RedisClient } from "bun";
import { Availability } from "../availability.ts";
import { StoreUnavailableError } from "../record-store.ts";

export class RedisConnection {
  private readonly client: RedisClient;
  private readonly availability: Availability;
  /** One connection attempt at a time, shared by the requests that need it. */
  private connecting: Promise<void> | null = null;

  constructor(url: string, timeoutMs = 3000) {
    // No offline queue: while Redis is away a request fails at once (503) instead of waiting, and
    // the next command connects again, so the server recovers as soon as Redis is back.
    this.client = new Bun.RedisClient(url, { connectionTimeout: timeoutMs, autoReconnect: false, enableOfflineQueue: false });
    this.availability = new Availability("Redis", timeoutMs, isUnreachable);
  }

  command(name: string, args: string[]): Promise<unknown> {
    return this.availability.run(async () => {
      if (!this.client.connected) {
        this.connecting ??= this.client.connect().finally(() => {
          this.connecting = null;
        });
        await this.connecting;
      }
      return this.client.send(name, args);
    });
  }

  close(): void {
    this.client.close();
  }
}

/** Connection trouble, or a Redis refusing writes for want of memory: the store is unavailable. */
function isUnreachable(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  const code = (error as { code?: string }).code ?? "";
  const message = (error as Error).message ?? "";
  return code.startsWith("ERR_REDIS_CONNECTION") || /connect|closed|timed? ?out|^OOM /i.test(message);
}
