/**
 * UserSession records in Redis through Bun's client: one hash per session (keyed by the
 * session id's SHA-256), a per-user set for "end all of this user's sessions", and the key TTL
 * equal to SESSION_DURATION so that Redis itself drops expired sessions. Changes run as Lua
 * scripts: atomic, and safe on the one connection that concurrent requests share.
 */
import { RedisClient } from "bun";
import type { UserSessionRecord } from "./user-session.ts";
import { hasValues, type RecordStore, StoreUnavailableError, type UpdateOptions } from "./record-store.ts";

/** The stored fields; a field that is null or absent is not written. */
const FIELDS = ["id", "created_at", "updated_at", "user_id", "session_id", "password_fingerprint"] as const satisfies readonly (keyof UserSessionRecord)[];

/** The fields that name the record's keys; an update cannot move a session to other keys. */
const KEY_FIELDS: readonly string[] = ["id", "user_id", "session_id"];

// KEYS: session hash, user set, id key. ARGV: ttl seconds (0: none), session id, then field/value pairs.
const SAVE = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('SET', KEYS[3], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[2])
local ttl = tonumber(ARGV[1])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
end
return 1`;

// KEYS: id key. ARGV: key prefix. Removes the session the record id names; 1 if there was one.
const REMOVE = `
local sessionId = redis.call('GET', KEYS[1])
if not sessionId then return 0 end
local sessionKey = ARGV[1] .. 'session:' .. sessionId
local userId = redis.call('HGET', sessionKey, 'user_id')
redis.call('DEL', sessionKey, KEYS[1])
if userId then redis.call('SREM', ARGV[1] .. 'user:' .. userId, sessionId) end
return 1`;

// KEYS: id key. ARGV: key prefix, number of expected pairs, expected field/value pairs, then the
// field/value pairs to set. The whole hash after the change, or nil when the session is gone or
// an expected value differs ('' expects the field to be absent).
const UPDATE = `
local sessionId = redis.call('GET', KEYS[1])
if not sessionId then return nil end
local sessionKey = ARGV[1] .. 'session:' .. sessionId
if redis.call('EXISTS', sessionKey) == 0 then return nil end
local expected = tonumber(ARGV[2])
for i = 3, 2 + expected * 2, 2 do
  if (redis.call('HGET', sessionKey, ARGV[i]) or '') ~= ARGV[i + 1] then return nil end
end
if #ARGV > 2 + expected * 2 then redis.call('HSET', sessionKey, unpack(ARGV, 3 + expected * 2)) end
return redis.call('HGETALL', sessionKey)`;

// KEYS: user set. ARGV: key prefix. Removes every session in the set; how many still existed.
const REMOVE_USER = `
local removed = 0
for _, sessionId in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sessionKey = ARGV[1] .. 'session:' .. sessionId
  local id = redis.call('HGET', sessionKey, 'id')
  removed = removed + redis.call('DEL', sessionKey)
  if id then redis.call('DEL', ARGV[1] .. 'id:' .. id) end
end
redis.call('DEL', KEYS[1])
return removed`;

export interface RedisSessionStoreOptions {
  url: string;
  /** Seconds; 0 or less: sessions never expire. */
  ttlSeconds: number;
  /** Key prefix, so that several deployments or tests can share one Redis. */
  prefix?: string;
}

export class RedisSessionStore implements RecordStore<UserSessionRecord> {
  readonly model = "UserSession";
  readonly selfExpiring: boolean;
  private readonly client: RedisClient;
  private readonly prefix: string;
  private readonly ttl: number;

  constructor(options: RedisSessionStoreOptions) {
    // No offline queue: while Redis is away a request fails at once (503) instead of waiting, and
    // the next command connects again, so the server recovers as soon as Redis is back.
    this.client = new RedisClient(options.url, { connectionTimeout: 2000, autoReconnect: false, enableOfflineQueue: false });
    this.prefix = options.prefix ?? "session-auth:";
    this.ttl = Math.max(0, options.ttlSeconds);
    this.selfExpiring = this.ttl > 0;
  }

  async get(id: string): Promise<UserSessionRecord | null> {
    const sessionId = (await this.command("GET", [this.idKey(id)])) as string | null;
    return sessionId ? this.bySessionId(sessionId) : null;
  }

  async all(): Promise<UserSessionRecord[]> {
    const records: UserSessionRecord[] = [];
    let cursor = "0";
    do {
      const [next, keys] = (await this.command("SCAN", [cursor, "MATCH", `${this.prefix}session:*`, "COUNT", "1000"])) as [string, string[]];
      cursor = next;
      const found = await Promise.all(keys.map((key) => this.bySessionId(key.slice(`${this.prefix}session:`.length))));
      for (const record of found) if (record) records.push(record);
    } while (cursor !== "0");
    return records.sort((a, b) => (a.created_at === b.created_at ? a.id.localeCompare(b.id) : a.created_at < b.created_at ? -1 : 1));
  }

  async count(): Promise<number> {
    return (await this.all()).length;
  }

  async search(attributes: Partial<UserSessionRecord>): Promise<UserSessionRecord[]> {
    let candidates: (UserSessionRecord | null)[];
    if (typeof attributes.session_id === "string") {
      candidates = [await this.bySessionId(attributes.session_id)];
    } else if (typeof attributes.user_id === "string") {
      const members = (await this.command("SMEMBERS", [this.userKey(attributes.user_id)])) as string[];
      candidates = await Promise.all(members.map((sessionId) => this.bySessionId(sessionId)));
    } else if (typeof attributes.id === "string") {
      candidates = [await this.get(attributes.id)];
    } else {
      candidates = await this.all();
    }
    return candidates.filter((record): record is UserSessionRecord => record !== null && hasValues(record, attributes));
  }

  async save(record: UserSessionRecord): Promise<void> {
    await this.command("EVAL", [SAVE, "3", this.sessionKey(record.session_id), this.userKey(record.user_id), this.idKey(record.id), String(this.ttl), record.session_id, ...fieldPairs(record)]);
  }

  async update(id: string, changes: Partial<UserSessionRecord>, options: UpdateOptions<UserSessionRecord> = {}): Promise<UserSessionRecord | null> {
    const moved = Object.keys(changes).find((field) => KEY_FIELDS.includes(field) && changes[field as keyof UserSessionRecord] !== undefined);
    if (moved) throw new Error(`a stored session's ${moved} cannot change`);
    const expected = Object.entries(options.expect ?? {}).flatMap(([field, value]) => [field, value === null || value === undefined ? "" : String(value)]);
    const hash = await this.command("EVAL", [UPDATE, "1", this.idKey(id), this.prefix, String(expected.length / 2), ...expected, ...fieldPairs(changes)]);
    return hash ? toRecord(pairsToObject(hash as string[] | Record<string, string>)) : null;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.command("EVAL", [REMOVE, "1", this.idKey(id), this.prefix])) === 1;
  }

  /** By user: one script, so a session stored a moment ago is included. Otherwise one by one. */
  async removeWhere(attributes: Partial<UserSessionRecord>): Promise<number> {
    const fields = Object.keys(attributes);
    if (fields.length === 1 && typeof attributes.user_id === "string") {
      return (await this.command("EVAL", [REMOVE_USER, "1", this.userKey(attributes.user_id), this.prefix])) as number;
    }
    const records = await this.search(attributes);
    const removed = await Promise.all(records.map((record) => this.remove(record.id)));
    return removed.filter(Boolean).length;
  }

  async *scan(): AsyncIterable<UserSessionRecord> {
    yield* await this.all();
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private async bySessionId(sessionId: string): Promise<UserSessionRecord | null> {
    const hash = (await this.command("HGETALL", [this.sessionKey(sessionId)])) as Record<string, string> | null;
    if (!hash || hash.id === undefined) return null;
    return toRecord({ session_id: sessionId, ...hash });
  }

  /** One connection attempt at a time, shared by the requests that need it. */
  private connecting: Promise<void> | null = null;

  private async command(name: string, args: string[]): Promise<unknown> {
    try {
      if (!this.client.connected) {
        this.connecting ??= this.client.connect().finally(() => {
          this.connecting = null;
        });
        await this.connecting;
      }
      return await this.client.send(name, args);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      if (code.startsWith("ERR_REDIS_CONNECTION") || /connect|closed|timed? ?out/i.test((error as Error).message)) {
        throw new StoreUnavailableError(`Redis: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  private sessionKey(sessionId: string): string {
    return `${this.prefix}session:${sessionId}`;
  }

  private userKey(userId: string): string {
    return `${this.prefix}user:${userId}`;
  }

  private idKey(id: string): string {
    return `${this.prefix}id:${id}`;
  }
}

/** The record's fields as HSET's field/value arguments, null and absent ones left out. */
function fieldPairs(record: Partial<UserSessionRecord>): string[] {
  const pairs: string[] = [];
  for (const field of FIELDS) {
    const value = record[field];
    if (value !== null && value !== undefined) pairs.push(field, String(value));
  }
  return pairs;
}

/** HGETALL's answer through EVAL is a flat list; through the client, an object. */
function pairsToObject(reply: string[] | Record<string, string>): Record<string, string> {
  if (!Array.isArray(reply)) return reply;
  const object: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) object[reply[i]!] = reply[i + 1]!;
  return object;
}

function toRecord(hash: Record<string, string>): UserSessionRecord {
  const record: UserSessionRecord = { id: hash.id ?? "", created_at: hash.created_at ?? "", updated_at: hash.updated_at ?? "", user_id: hash.user_id ?? "", session_id: hash.session_id ?? "" };
  if (hash.password_fingerprint) record.password_fingerprint = hash.password_fingerprint;
  return Object.freeze(record);
}
