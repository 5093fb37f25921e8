/**
 * Sessions in Redis through Bun's client: one hash per session (keyed by the session key, the
 * SHA-256 of the cookie value), a key from record id to session key, a per-user set for "end
 * all of this user's sessions", and one sorted set of every session by creation time (each
 * member its user id followed by its 64-character session key), so that the expired are found,
 * taken out of their user's set and counted without a scan. Keys carry a TTL of SESSION_DURATION, so
 * Redis drops expired sessions even when no sweep runs. Changes run as Lua scripts: atomic, and
 * safe on the one connection that concurrent requests share.
 */
import { parseTimestamp } from "../base.ts";
import type { SessionStore } from "../session-store.ts";
import { oldestFirst, SESSION_FIELDS, type UserSessionRecord } from "../user-session.ts";
import type { RedisConnection } from "./connection.ts";

/** The layout version, kept in `<prefix>schema`; 1 added the sorted set by creation time. */
const LAYOUT_VERSION = "1";

// KEYS: session hash, user set, id key, created set. ARGV: ttl seconds (0: none), session key,
// creation ms, key prefix, user id, then field/value pairs. Members of the user's set whose session is
// gone (expired by TTL) leave it here, so the set holds only live sessions.
const CREATE = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('SET', KEYS[3], ARGV[2])
local userId = ARGV[5]
for _, member in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[4] .. 'session:' .. member) == 0 then
    redis.call('SREM', KEYS[2], member)
    redis.call('ZREM', KEYS[4], userId .. member)
  end
end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[3], userId .. ARGV[2])
local ttl = tonumber(ARGV[1])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
end
return 1`;

// KEYS: id key, created set. ARGV: key prefix. Removes the session the record id names; 1 if there was one.
const REMOVE = `
local member = redis.call('GET', KEYS[1])
if not member then return 0 end
local sessionKey = ARGV[1] .. 'session:' .. member
local userId = redis.call('HGET', sessionKey, 'user_id')
redis.call('DEL', sessionKey, KEYS[1])
if userId then
  redis.call('SREM', ARGV[1] .. 'user:' .. userId, member)
  redis.call('ZREM', KEYS[2], userId .. member)
end
return 1`;

// KEYS: user set, created set. ARGV: key prefix, user id. Removes every session in the set; how many still existed.
const REMOVE_USER = `
local removed = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sessionKey = ARGV[1] .. 'session:' .. member
  local id = redis.call('HGET', sessionKey, 'id')
  removed = removed + redis.call('DEL', sessionKey)
  if id then redis.call('DEL', ARGV[1] .. 'id:' .. id) end
  redis.call('ZREM', KEYS[2], ARGV[2] .. member)
end
redis.call('DEL', KEYS[1])
return removed`;

// KEYS: created set. ARGV: key prefix, creation ms (exclusive), batch size. Removes up to a batch
// of sessions created before; returns how many members it looked at and how many sessions it removed.
const REMOVE_BEFORE = `
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local removed = 0
for _, member in ipairs(members) do
  local userId = string.sub(member, 1, #member - 64)
  local key = string.sub(member, -64)
  local sessionKey = ARGV[1] .. 'session:' .. key
  local id = redis.call('HGET', sessionKey, 'id')
  if id then redis.call('DEL', ARGV[1] .. 'id:' .. id) end
  redis.call('SREM', ARGV[1] .. 'user:' .. userId, key)
  removed = removed + redis.call('DEL', sessionKey)
  redis.call('ZREM', KEYS[1], member)
end
return {#members, removed}`;

const PURGE_BATCH = 500;

/** A session key is a SHA-256 in hex: the last 64 characters of its member of the sorted set. */
const SESSION_KEY_LENGTH = 64;

export interface RedisSessionStoreOptions {
  /** Seconds; 0 or less: sessions never expire. */
  ttlSeconds: number;
  /** Key prefix, so that several deployments or tests can share one Redis. */
  prefix?: string;
}

export class RedisSessionStore implements SessionStore {
  readonly backend = "redis";
  private readonly prefix: string;
  private readonly ttl: number;
  private readonly createdKey: string;
  /** Brings an older layout up to date, once per process; after a failure the next command tries again. */
  private upgraded: Promise<void> | null = null;

  constructor(
    private readonly redis: RedisConnection,
    options: RedisSessionStoreOptions,
  ) {
    this.prefix = options.prefix ?? "session-auth:";
    this.ttl = Math.max(0, options.ttlSeconds);
    this.createdKey = `${this.prefix}created`;
  }

  async create(session: UserSessionRecord): Promise<void> {
    const created = String(scoreOf(session.created_at));
    await this.command("EVAL", [CREATE, "4", this.sessionKey(session.session_id), this.userKey(session.user_id), this.idKey(session.id), this.createdKey, String(this.ttl), session.session_id, created, this.prefix, session.user_id, ...fieldPairs(session)]);
  }

  async findByKey(key: string): Promise<UserSessionRecord | null> {
    const hash = (await this.command("HGETALL", [this.sessionKey(key)])) as Record<string, string> | null;
    if (!hash || hash.id === undefined) return null;
    return toRecord({ session_id: key, ...hash });
  }

  async list(userId?: string): Promise<UserSessionRecord[]> {
    const keys =
      userId === undefined
        ? ((await this.command("ZRANGE", [this.createdKey, "0", "-1"])) as string[]).map((member) => member.slice(-SESSION_KEY_LENGTH))
        : ((await this.command("SMEMBERS", [this.userKey(userId)])) as string[]);
    const found = await Promise.all(keys.map((key) => this.findByKey(key)));
    return found.filter((record): record is UserSessionRecord => record !== null).sort(oldestFirst);
  }

  async remove(id: string): Promise<boolean> {
    return (await this.command("EVAL", [REMOVE, "2", this.idKey(id), this.createdKey, this.prefix])) === 1;
  }

  /** One script, so a session stored a moment ago is included. */
  async removeByUser(userId: string): Promise<number> {
    return (await this.command("EVAL", [REMOVE_USER, "2", this.userKey(userId), this.createdKey, this.prefix, userId])) as number;
  }

  /** In batches of scripts over the sorted set; sessions Redis already dropped by TTL leave it too. */
  async removeCreatedBefore(moment: number): Promise<number> {
    // The score is the timestamp's whole second: created before `moment` when score + 999 < moment.
    const below = String(moment - 999);
    let removed = 0;
    for (;;) {
      const [looked, gone] = (await this.command("EVAL", [REMOVE_BEFORE, "1", this.createdKey, this.prefix, below, String(PURGE_BATCH)])) as [number, number];
      removed += gone;
      if (looked < PURGE_BATCH) return removed;
    }
  }

  /** The sessions not yet dropped by TTL (to within a second), from the sorted set alone. */
  async count(): Promise<number> {
    if (this.ttl === 0) return (await this.command("ZCARD", [this.createdKey])) as number;
    return (await this.command("ZCOUNT", [this.createdKey, `(${Date.now() - this.ttl * 1000}`, "+inf"])) as number;
  }

  /** The connection belongs to the stores, closed with them. */
  async close(): Promise<void> {}

  private async command(name: string, args: string[]): Promise<unknown> {
    this.upgraded ??= this.upgrade().catch((error) => {
      this.upgraded = null;
      throw error;
    });
    await this.upgraded;
    return this.redis.command(name, args);
  }

  /**
   * Layout 0 (before the sorted set): every session hash gets its member, so that purges and
   * counts see it. Idempotent (ZADD NX), so instances starting together may both run it.
   */
  private async upgrade(): Promise<void> {
    const schemaKey = `${this.prefix}schema`;
    if ((await this.redis.command("GET", [schemaKey])) === LAYOUT_VERSION) return;
    const sessionPrefix = `${this.prefix}session:`;
    let cursor = "0";
    do {
      const [next, keys] = (await this.redis.command("SCAN", [cursor, "MATCH", `${sessionPrefix}*`, "COUNT", "1000"])) as [string, string[]];
      cursor = next;
      for (const key of keys) {
        const [createdAt, userId] = (await this.redis.command("HMGET", [key, "created_at", "user_id"])) as (string | null)[];
        if (!createdAt || !userId) continue;
        await this.redis.command("ZADD", [this.createdKey, "NX", String(scoreOf(createdAt)), `${userId}${key.slice(sessionPrefix.length)}`]);
      }
    } while (cursor !== "0");
    await this.redis.command("SET", [schemaKey, LAYOUT_VERSION]);
  }

  private sessionKey(key: string): string {
    return `${this.prefix}session:${key}`;
  }

  private userKey(userId: string): string {
    return `${this.prefix}user:${userId}`;
  }

  private idKey(id: string): string {
    return `${this.prefix}id:${id}`;
  }
}

/** A session's place in the sorted set: its creation second in ms; one whose time cannot be read counts as oldest. */
function scoreOf(createdAt: string): number {
  const ms = parseTimestamp(createdAt);
  return Number.isFinite(ms) ? ms : 0;
}

/** The record's fields as HSET's field/value arguments, null and absent ones left out. */
function fieldPairs(record: UserSessionRecord): string[] {
  const pairs: string[] = [];
  for (const field of SESSION_FIELDS) {
    const value = record[field];
    if (value !== null && value !== undefined) pairs.push(field, String(value));
  }
  return pairs;
}

function toRecord(hash: Record<string, string>): UserSessionRecord {
  const record = {} as Record<string, string>;
  for (const field of SESSION_FIELDS) {
    const value = hash[field];
    if (value !== undefined) record[field] = value;
    else if (field !== "password_fingerprint") record[field] = "";
  }
  return Object.freeze(record) as unknown as UserSessionRecord;
}
