/**
 * Which store holds what: users in PostgreSQL when DATABASE_URL is set, else in the JSON files;
 * sessions in Redis when REDIS_URL is set, else with the users; login attempt counts in Redis,
 * else PostgreSQL, else memory. Every strategy, route and command works on whichever it gets,
 * through the RecordStore, SessionStore and AttemptCounters interfaces.
 */
import type { Config } from "../config.ts";
import { type AttemptCounters, MemoryAttemptCounters } from "./attempt-counters.ts";
import type { JsonFileSessionStore } from "./json-file/session-store.ts";
import type { CloseOptions } from "./record-store.ts";
import type { SessionStore } from "./session-store.ts";
import { type ChallengeStore, MemoryChallengeStore } from "./challenge-store.ts";
import { openUserStore, type UserStore } from "./user-store.ts";
import { existsSync } from "node:fs";
import { joinPath } from "../file-paths.ts";
import { IDENTITY_MODEL, type IdentityStore, openIdentityStore } from "./identity-store.ts";
import { dataFileName } from "./json-file/format.ts";
import { openPasskeyStore, PASSKEYS_TABLE, type PasskeyStore } from "./passkey-store.ts";
import { openUserTotpStore, USER_TOTP_TABLE, type UserTotpStore } from "./user-totp-store.ts";
import { type GroupStore, openGroupStore } from "./group-store.ts";

/** The settings the stores use, and no others. */
export type StoreSettings = Pick<Config, "dataDir" | "journalCompactBytes" | "liveDataFileBytes" | "databaseUrl" | "databaseSchema" | "redisUrl" | "redisPrefix" | "sessionDuration" | "storeTimeoutMs">;

export interface Stores {
  users: UserStore;
  /** One-time-code factors: with the users (JSON files in a file of their own, or PostgreSQL). */
  totp: UserTotpStore;
  /** Users' passkeys, beside the users (a file or table of their own). */
  passkeys: PasskeyStore;
  /** The users' groups, beside them. */
  groups: GroupStore;
  /** Only when asked for (session_db_auth, the sessions commands). */
  sessions: SessionStore | null;
  /** WebAuthn challenges awaiting their answer: shared by every instance on PostgreSQL. */
  challenges: ChallengeStore;
  /** Login attempts, for the throttle: shared by every instance on PostgreSQL or Redis. */
  counters: AttemptCounters;
  /** Where each lives, for the start-up line. */
  description: string;
  /**
   * Deletes a user, then every stored session of theirs. In that order, a login racing the
   * deletion either stores its session before the sessions are removed (and it goes with them)
   * or finds the user gone when it checks again after storing it (and ends it itself). A crash
   * between the two leaves sessions whose user is gone: they open nothing and end on sight.
   */
  removeUser(userId: string): Promise<{ removed: boolean; sessions: number }>;
  /** The sign-in providers' identity links, opened when first asked for (only sign-in with a provider and its commands use them). */
  identities(): IdentityStore;
  close(options?: CloseOptions): Promise<void>;
}

/**
 * The packed JSON-file session store, loaded when first needed: its modules (packing, the
 * chunked scan) cost every start-up a few milliseconds of evaluation, and only session_db_auth
 * on the JSON files and the sessions commands use them.
 */
export function jsonFileSessions(): typeof JsonFileSessionStore {
  return (require("./json-file/session-store.ts") as typeof import("./json-file/session-store.ts")).JsonFileSessionStore;
}

/**
 * The PostgreSQL and Redis modules, loaded only when DATABASE_URL or REDIS_URL is set: the JSON
 * files' start-up need not evaluate them.
 */
function postgresModules() {
  return {
    ...(require("./postgres/attempt-counters.ts") as typeof import("./postgres/attempt-counters.ts")),
    ...(require("./postgres/database.ts") as typeof import("./postgres/database.ts")),
    ...(require("./postgres/session-store.ts") as typeof import("./postgres/session-store.ts")),
    ...(require("./postgres/store.ts") as typeof import("./postgres/store.ts")),
    ...(require("./postgres/challenge-store.ts") as typeof import("./postgres/challenge-store.ts")),
  };
}

function redisModules() {
  return {
    ...(require("./redis/attempt-counters.ts") as typeof import("./redis/attempt-counters.ts")),
    ...(require("./redis/connection.ts") as typeof import("./redis/connection.ts")),
    ...(require("./redis/session-store.ts") as typeof import("./redis/session-store.ts")),
  };
}

/** True when data lives in the JSON files (users always do without PostgreSQL), so that DATA_DIR must be usable. */
export function usesDataDir(settings: Pick<Config, "databaseUrl">): boolean {
  return settings.databaseUrl === null;
}

export function openStores(settings: StoreSettings, withSessions: boolean): Stores {
  const tuning = { compactMinBytes: settings.journalCompactBytes, liveFileMaxBytes: settings.liveDataFileBytes };
  const pg = settings.databaseUrl ? postgresModules() : null;
  const rd = settings.redisUrl ? redisModules() : null;
  const db = pg && settings.databaseUrl ? new pg.PgDatabase(settings.databaseUrl, settings.databaseSchema, settings.storeTimeoutMs) : null;
  const redis = rd && settings.redisUrl ? new rd.RedisConnection(settings.redisUrl, settings.storeTimeoutMs) : null;
  const users: UserStore = pg && db ? new pg.PgStore(db, pg.USERS_TABLE) : openUserStore(settings.dataDir, tuning);
  const totp: UserTotpStore = pg && db ? new pg.PgStore(db, USER_TOTP_TABLE) : openUserTotpStore(settings.dataDir, tuning);
  const passkeys: PasskeyStore = pg && db ? new pg.PgStore(db, PASSKEYS_TABLE) : openPasskeyStore(settings.dataDir, tuning);
  const groups: GroupStore = pg && db ? new pg.PgStore(db, pg.USER_GROUPS_TABLE) : openGroupStore(settings.dataDir, tuning);
  let sessions: SessionStore | null = null;
  if (withSessions) {
    if (rd && redis) sessions = new rd.RedisSessionStore(redis, { ttlSeconds: settings.sessionDuration, prefix: settings.redisPrefix });
    else if (pg && db) sessions = new pg.PgSessionStore(db);
    else sessions = jsonFileSessions().open(settings.dataDir, tuning);
  }
  let identities: IdentityStore | null = null;
  const openIdentities = (): IdentityStore => {
    identities ??= pg && db ? new pg.PgStore(db, pg.IDENTITIES_TABLE) : openIdentityStore(settings.dataDir, tuning);
    return identities;
  };
  const counters: AttemptCounters = rd && redis ? new rd.RedisAttemptCounters(redis, settings.redisPrefix) : pg && db ? new pg.PgAttemptCounters(db) : new MemoryAttemptCounters();
  return {
    users,
    totp,
    passkeys,
    groups,
    sessions,
    challenges: pg && db ? new pg.PgChallengeStore(db) : new MemoryChallengeStore(),
    counters,
    description: `users: ${users.backend}${sessions ? `, sessions: ${sessions.backend}` : ""}, login attempts: ${counters.backend}`,
    async removeUser(userId) {
      const removed = await users.remove(userId);
      // The user's identity links go too, wherever there are any (no file is made for none).
      const links = identities ?? (db !== null || existsSync(joinPath(settings.dataDir, dataFileName(IDENTITY_MODEL))) ? openIdentities() : null);
      if (links !== null) await links.removeWhere({ user_id: userId });
      await totp.remove(userId);
      await passkeys.removeWhere({ user_id: userId });
      await groups.remove(userId);
      return { removed, sessions: sessions ? await sessions.removeByUser(userId) : 0 };
    },
    identities: openIdentities,
    async close(options) {
      await Promise.all([users.close(options), totp.close(options), passkeys.close(options), groups.close(options), sessions?.close(options), identities?.close(options)]);
      await db?.close();
      redis?.close();
    },
  };
}
