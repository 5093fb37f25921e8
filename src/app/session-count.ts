/**
 * A session store that tells the metrics how many sessions it stored and removed, so that the
 * stored-sessions gauge of PostgreSQL and Redis follows this server's changes without a query.
 */
import type { CloseOptions } from "../storage/record-store.ts";
import type { SessionStore } from "../storage/session-store.ts";
import type { SessionChanges, UserSessionRecord } from "../domain/user-session.ts";
import { andThen, type MaybePromise } from "../maybe-promise.ts";

export function countedSessionStore(store: SessionStore, stored: (change: number) => void): SessionStore {
  const removed = (n: number) => {
    if (n > 0) stored(-n);
    return n;
  };
  return {
    get backend() {
      return store.backend;
    },
    async create(session: UserSessionRecord): Promise<void> {
      await store.create(session);
      stored(1);
    },
    findByKey: (key: string) => store.findByKey(key),
    list: (userId?: string) => store.list(userId),
    touch: (id: string, changes: SessionChanges, expect?: SessionChanges) => store.touch(id, changes, expect),
    remove: (id: string): MaybePromise<boolean> => andThen(store.remove(id), (done) => (removed(done ? 1 : 0), done)),
    removeByUser: (userId: string): MaybePromise<number> => andThen(store.removeByUser(userId), removed),
    removeCreatedBefore: async (moment: number) => removed(await store.removeCreatedBefore(moment)),
    removeUnusedSince: async (moment: number) => removed(await store.removeUnusedSince(moment)),
    count: () => store.count(),
    close: (options?: CloseOptions) => store.close(options),
  };
}
