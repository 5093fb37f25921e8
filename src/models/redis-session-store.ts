/**
 * UserSession records in Redis through Bun's client: one hash per session (keyed by the
 * session id's SHA-256), a per-user set for "end all of this user's sessions", and the key TTL
 * equal to SESSION_DURATION so that Redis itself drops expired sessions. Changes run as Lua
 * scripts: atomic, and safe on the one connection that concurrent requests share.
 */
import { RedisClient } from "bun";
import type { UserSessionRecord } from "./user-session.ts";
import { type RecordStore, StoreUnavailableError } from "./store.ts";

const FIELDS = ["id", "created_at", "updated_at", "user_id", "session_id"] as const;

// KEYS: session hash, user set, id key. ARGV: ttl seconds (0: none), then the fields in FIELDS order.
const SAVE = `
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'created_at', ARGV[3], 'updated_at', ARGV[4], 'user_id', ARGV[5], 'session_id', ARGV[6])
redis.call('SET', KEYS[3], ARGV[6])
redis.call('SADD', KEYS[2], ARGV[6])
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
    return candidates.filter(
      (record): record is UserSessionRecord => record !== null && Object.entries(attributes).every(([field, value]) => record[field as keyof UserSessionRecord] === value),
    );
  }

  async save(record: UserSessionRecord): Promise<void> {
    await this.command("EVAL", [SAVE, "3", this.sessionKey(record.session_id), this.userKey(record.user_id), this.idKey(record.id), String(this.ttl), ...FIELDS.map((field) => record[field])]);
  }

  async remove(id: string): Promise<boolean> {
    return (await this.command("EVAL", [REMOVE, "1", this.idKey(id), this.prefix])) === 1;
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
    return Object.freeze({ id: hash.id, created_at: hash.created_at ?? "", updated_at: hash.updated_at ?? "", user_id: hash.user_id ?? "", session_id: hash.session_id ?? sessionId });
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
