/**
 * Attempt counts in Redis, shared by every instance: one hash per key (attempts, window end),
 * changed by Lua scripts so that concurrent takes never count past the limit. Each key expires a
 * window after its last attempt, so ended windows leave by themselves.
 */
import { type AttemptCounters, type AttemptKind, storedKey } from "../attempt-counters.ts";
import type { RedisConnection } from "./connection.ts";

// KEYS: counter. ARGV: now ms, window ms, limit. 0 when counted, else ms until the window ends.
const TAKE = `
local now = tonumber(ARGV[1])
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends') or '0')
local attempts = 0
if ends > now then attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0') else ends = now + tonumber(ARGV[2]) end
if attempts >= tonumber(ARGV[3]) then return ends - now end
redis.call('HSET', KEYS[1], 'attempts', attempts + 1, 'ends', ends)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 0`;

// KEYS: counter. Takes back one attempt; the key goes with its last.
const GIVE_BACK = `
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
if attempts <= 1 then redis.call('DEL', KEYS[1]) else redis.call('HSET', KEYS[1], 'attempts', attempts - 1) end
return 1`;

export class RedisAttemptCounters implements AttemptCounters {
  readonly backend = "redis";

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  async take(kind: AttemptKind, key: string, limit: number, windowMs: number, now: number): Promise<number> {
    return Number(await this.redis.command("EVAL", [TAKE, "1", this.key(kind, key), String(now), String(windowMs), String(limit)]));
  }

  async giveBack(kind: AttemptKind, key: string): Promise<void> {
    await this.redis.command("EVAL", [GIVE_BACK, "1", this.key(kind, key)]);
  }

  async clear(kind: AttemptKind, key: string): Promise<void> {
    await this.redis.command("DEL", [this.key(kind, key)]);
  }

  /** Keys expire by themselves. */
  sweep(): number {
    return 0;
  }

  private key(kind: AttemptKind, key: string): string {
    return `${this.prefix}attempts:${storedKey(kind, key)}`;
  }
}
