/**
 * Which store holds what: users in PostgreSQL when DATABASE_URL is set, else in the JSON files;
 * sessions in Redis when REDIS_URL is set, else with the users. Every strategy, route and
 * command works on whichever it gets, through the RecordStore interface.
 */
import type { Config } from "../config.ts";
import { PgDatabase, PgStore, USER_SESSIONS_TABLE, USERS_TABLE } from "./pg-store.ts";
import { RedisSessionStore } from "./redis-session-store.ts";
import { openUserStore, type UserStore } from "./user.ts";
import { openUserSessionStore, removeUserSessions, type UserSessionStore } from "./user-session.ts";

export interface Stores {
  users: UserStore;
  /** Only when asked for (session_db_auth, the sessions commands). */
  userSessions: UserSessionStore | null;
  /** Where each lives, for the start-up line. */
  description: string;
  /**
   * Deletes a user, then every stored session of theirs. In that order, a login racing the
   * deletion either stores its session before the sessions are removed (and it goes with them)
   * or finds the user gone when it checks again after storing it (and ends it itself). A crash
   * between the two leaves sessions whose user is gone: they open nothing and end on sight.
   */
  removeUser(userId: string): Promise<{ removed: boolean; sessions: number }>;
  close(options?: { compact?: boolean }): Promise<void>;
}

/** True when data lives in the JSON files (users always do without PostgreSQL), so that DATA_DIR must be usable. */
export function usesDataDir(config: Config): boolean {
  return config.databaseUrl === null;
}

/** session_db_auth is the strategy that keeps its sessions in a store. */
export function storesSessions(config: Config): boolean {
  return config.authType === "session_db_auth";
}

export function openStores(config: Config, withSessions: boolean): Stores {
  const tuning = { compactMinBytes: config.journalCompactBytes, liveFileMaxBytes: config.liveDataFileBytes };
  const db = config.databaseUrl ? new PgDatabase(config.databaseUrl, config.databaseSchema) : null;
  const users: UserStore = db ? new PgStore(db, USERS_TABLE) : openUserStore(config.dataDir, tuning);
  let userSessions: UserSessionStore | null = null;
  if (withSessions) {
    if (config.redisUrl) userSessions = new RedisSessionStore({ url: config.redisUrl, ttlSeconds: config.sessionDuration, prefix: config.redisPrefix });
    else if (db) userSessions = new PgStore(db, USER_SESSIONS_TABLE);
    else userSessions = openUserSessionStore(config.dataDir, tuning);
  }
  const where = (store: object | null) => (store instanceof PgStore ? "postgresql" : store instanceof RedisSessionStore ? "redis" : "json files");
  return {
    users,
    userSessions,
    description: userSessions ? `users: ${where(users)}, sessions: ${where(userSessions)}` : `users: ${where(users)}`,
    async removeUser(userId) {
      const removed = await users.remove(userId);
      return { removed, sessions: userSessions ? await removeUserSessions(userSessions, userId) : 0 };
    },
    async close(options) {
      await Promise.all([users.close(options), userSessions?.close(options)]);
      await db?.close();
    },
  };
}
