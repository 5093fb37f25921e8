/**
 * Sessions in Redis through Bun's client: one hash per session (keyed by the session key, the
 * SHA-256 of the cookie value), a key from record id to session key, a per-user set for "end
 * all of this user's sessions", and two sorted sets of every session, by creation time and by
 * last use (each member its user id followed by its 64-character session key), so that the
 * expired and the idle are found, taken out of their user's set and counted without a scan.
 * Keys carry a TTL of SESSION_DURATION, so Redis drops expired sessions even when no sweep
 * runs. Changes run as Lua scripts: atomic, and safe on the one connection that concurrent
 * requests share.
 */
import { parseTimestamp } from "../../domain/base.ts";
import { secondsBelow } from "../../domain/session-time.ts";
import type { SessionStore } from "../session-store.ts";
import { OPTIONAL_SESSION_FIELDS, oldestFirst, SESSION_FIELDS, type SessionChanges, type UserSessionRecord } from "../../domain/user-session.ts";
import type { RedisConnection } from "./connection.ts";

/** The layout version, kept in `<prefix>schema`; 1 added the sorted sets by creation and by last use. */
const LAYOUT_VERSION = "1";

// Every script is given the key prefix as ARGV[1] and the two sorted sets as its last two KEYS.

// KEYS: session hash, user set, id key, created set, used set. ARGV: prefix, ttl seconds (0:
// none), session key, creation ms, user id, then field/value pairs. Members of the user's set
// whose session is gone (expired by TTL) leave it here, so the set holds only live sessions.
const CREATE = `
local userId = ARGV[5]
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('SET', KEYS[3], ARGV[3])
for _, member in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[1] .. 'session:' .. member) == 0 then
    redis.call('SREM', KEYS[2], member)
    redis.call('ZREM', KEYS[4], userId .. member)
    redis.call('ZREM', KEYS[5], userId .. member)
  end
end
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[4], userId .. ARGV[3])
redis.call('ZADD', KEYS[5], ARGV[4], userId .. ARGV[3])
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
end
return 1`;

// The session a record id names (KEYS[1]; ARGV[1] the prefix): its member, hash key and user
// id; 0 when there is none. The start of the scripts that change one session.
const FIND_BY_ID = `
local member = redis.call('GET', KEYS[1])
if not member then return 0 end
local sessionKey = ARGV[1] .. 'session:' .. member
local userId = redis.call('HGET', sessionKey, 'user_id')`;

// KEYS: id key, used set. ARGV: prefix, last use ms ('' when unchanged), the number n of
// expected field/value pairs ('' for absent), those pairs, then the field/value pairs to set.
// 1 if the session exists and holds the expected values (and was changed).
const TOUCH = `${FIND_BY_ID}
if not userId then return 0 end
local expected = tonumber(ARGV[3])
for i = 4, 2 + 2 * expected, 2 do
  if (redis.call('HGET', sessionKey, ARGV[i]) or '') ~= ARGV[i + 1] then return 0 end
end
local first = 4 + 2 * expected
if #ARGV >= first then redis.call('HSET', sessionKey, unpack(ARGV, first)) end
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[2], 'XX', ARGV[2], userId .. member) end
return 1`;

// KEYS: id key, created set, used set. ARGV: prefix. Removes the session the record id names; 1 if there was one.
const REMOVE = `${FIND_BY_ID}
redis.call('DEL', sessionKey, KEYS[1])
if userId then
  redis.call('SREM', ARGV[1] .. 'user:' .. userId, member)
  redis.call('ZREM', KEYS[2], userId .. member)
  redis.call('ZREM', KEYS[3], userId .. member)
end
return 1`;

// KEYS: user set, created set, used set. ARGV: prefix, user id. Removes every session in the
// set; how many still existed.
const REMOVE_USER = `
local removed = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sessionKey = ARGV[1] .. 'session:' .. member
  local id = redis.call('HGET', sessionKey, 'id')
  removed = removed + redis.call('DEL', sessionKey)
  if id then redis.call('DEL', ARGV[1] .. 'id:' .. id) end
  redis.call('ZREM', KEYS[2], ARGV[2] .. member)
  redis.call('ZREM', KEYS[3], ARGV[2] .. member)
end
redis.call('DEL', KEYS[1])
return removed`;

// KEYS: the sorted set to look in, the other one. ARGV: prefix, score (exclusive), batch size.
// Removes up to a batch of sessions scored below; returns how many members it looked at and how
// many sessions it removed.
const REMOVE_BELOW = `
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
  redis.call('ZREM', KEYS[2], member)
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
  private readonly usedKey: string;
  /** Brings an older layout up to date, once per process; after a failure the next command tries again. */
  private upgraded: Promise<void> | null = null;

  constructor(
    private readonly redis: RedisConnection,
    options: RedisSessionStoreOptions,
  ) {
    this.prefix = options.prefix ?? "session-auth:";
    this.ttl = Math.max(0, options.ttlSeconds);
    this.createdKey = `${this.prefix}created`;
    this.usedKey = `${this.prefix}used`;
  }

  async create(session: UserSessionRecord): Promise<void> {
    const created = String(scoreOf(session.created_at));
    const keys = [this.sessionKey(session.session_id), this.userKey(session.user_id), this.idKey(session.id), this.createdKey, this.usedKey];
    await this.command("EVAL", [CREATE, "5", ...keys, this.prefix, String(this.ttl), session.session_id, created, session.user_id, ...fieldPairs(session)]);
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
    return (await this.command("EVAL", [REMOVE, "3", this.idKey(id), this.createdKey, this.usedKey, this.prefix])) === 1;
  }

  /** One script, so a session stored a moment ago is included. */
  async removeByUser(userId: string): Promise<number> {
    return (await this.command("EVAL", [REMOVE_USER, "3", this.userKey(userId), this.createdKey, this.usedKey, this.prefix, userId])) as number;
  }

  async touch(id: string, changes: SessionChanges, expect: SessionChanges = {}): Promise<boolean> {
    const used = changes.last_used_at ? String(scoreOf(changes.last_used_at)) : "";
    const expected = (Object.keys(expect) as (keyof SessionChanges)[]).filter((field) => expect[field] !== undefined).flatMap((field) => [field, expect[field] ?? ""]);
    return (await this.command("EVAL", [TOUCH, "2", this.idKey(id), this.usedKey, this.prefix, used, String(expected.length / 2), ...expected, ...fieldPairs(changes)])) === 1;
  }

  /** In batches of scripts over the sorted set by creation; sessions Redis already dropped by TTL leave it too. */
  removeCreatedBefore(moment: number): Promise<number> {
    return this.removeBelow(this.createdKey, this.usedKey, moment);
  }

  removeUnusedSince(moment: number): Promise<number> {
    return this.removeBelow(this.usedKey, this.createdKey, moment);
  }

  private async removeBelow(ranged: string, other: string, moment: number): Promise<number> {
    // A score is the timestamp's whole second.
    const below = String(secondsBelow(moment));
    let removed = 0;
    for (;;) {
      const [looked, gone] = (await this.command("EVAL", [REMOVE_BELOW, "2", ranged, other, this.prefix, below, String(PURGE_BATCH)])) as [number, number];
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
        const [createdAt, userId, lastUsedAt] = (await this.redis.command("HMGET", [key, "created_at", "user_id", "last_used_at"])) as (string | null)[];
        if (!createdAt || !userId) continue;
        const member = `${userId}${key.slice(sessionPrefix.length)}`;
        await this.redis.command("ZADD", [this.createdKey, "NX", String(scoreOf(createdAt)), member]);
        await this.redis.command("ZADD", [this.usedKey, "NX", String(scoreOf(lastUsedAt ?? createdAt)), member]);
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
function fieldPairs(record: Partial<UserSessionRecord>): string[] {
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
    else if (!OPTIONAL_SESSION_FIELDS.has(field)) record[field] = "";
  }
  return Object.freeze(record) as unknown as UserSessionRecord;
}
