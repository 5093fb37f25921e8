/** Sessions in `.db_UserSession.json`, the original's file, through the JSON-file record store. */
import type { CloseOptions } from "../record-store.ts";
import type { SessionStore } from "../session-store.ts";
import { createdBefore, oldestFirst, type SessionChanges, unusedSince, type UserSessionRecord } from "../user-session.ts";
import { JsonFileStore, type StoreTuning } from "./store.ts";

export class JsonFileSessionStore implements SessionStore {
  readonly backend = "json files";

  constructor(private readonly records: JsonFileStore<UserSessionRecord>) {}

  static open(dataDir: string, tuning: StoreTuning = {}): JsonFileSessionStore {
    return new JsonFileSessionStore(JsonFileStore.open<UserSessionRecord>({ ...tuning, model: "UserSession", dataDir, indexes: ["session_id", "user_id"] }));
  }

  create(session: UserSessionRecord): Promise<void> {
    return this.records.save(session);
  }

  /** From memory, at once. */
  findByKey(key: string): UserSessionRecord | null {
    return this.records.search({ session_id: key })[0] ?? null;
  }

  async list(userId?: string): Promise<UserSessionRecord[]> {
    const found = userId === undefined ? [...this.records.values()] : this.records.search({ user_id: userId });
    return found.sort(oldestFirst);
  }

  async touch(id: string, changes: SessionChanges): Promise<boolean> {
    return (await this.records.update(id, changes)) !== null;
  }

  remove(id: string): Promise<boolean> {
    return this.records.remove(id);
  }

  removeByUser(userId: string): Promise<number> {
    return this.records.removeWhere({ user_id: userId });
  }

  /**
   * Sessions keep the order they were stored in and their creation time never changes, so the
   * oldest come first and the search stops at the first one still young enough: its cost is
   * what it removes, not what is stored. The removals share one append.
   */
  async removeCreatedBefore(moment: number): Promise<number> {
    const old: string[] = [];
    for (const session of this.records.values()) {
      if (!createdBefore(session, moment)) break;
      old.push(session.id);
    }
    const removed = await Promise.all(old.map((id) => this.records.remove(id)));
    return removed.filter(Boolean).length;
  }

  /** Last use does not follow the order of creation: every session is looked at, in memory. */
  async removeUnusedSince(moment: number): Promise<number> {
    const idle: string[] = [];
    for (const session of this.records.values()) if (unusedSince(session, moment)) idle.push(session.id);
    const removed = await Promise.all(idle.map((id) => this.records.remove(id)));
    return removed.filter(Boolean).length;
  }

  count(): number {
    return this.records.count();
  }

  close(options?: CloseOptions): Promise<void> {
    return this.records.close(options);
  }
}
