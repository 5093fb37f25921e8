/**
 * Sessions in `.db_UserSession.json`, the original's file, through the JSON-file record store,
 * kept in memory packed (PackedSessionTable).
 */
import type { CloseOptions } from "../record-store.ts";
import type { SessionStore } from "../session-store.ts";
import type { SessionChanges, UserSessionRecord } from "../../domain/user-session.ts";
import { PackedSessionTable } from "./packed/packed-sessions.ts";
import { JsonFileStore, type StoreTuning } from "./store.ts";

export class JsonFileSessionStore implements SessionStore {
  readonly backend = "json files";

  private constructor(
    private readonly records: JsonFileStore<UserSessionRecord>,
    private readonly table: PackedSessionTable,
  ) {}

  static open(dataDir: string, tuning: StoreTuning = {}): JsonFileSessionStore {
    const table = new PackedSessionTable();
    return new JsonFileSessionStore(JsonFileStore.open<UserSessionRecord>({ ...tuning, model: "UserSession", dataDir, table }), table);
  }

  create(session: UserSessionRecord): Promise<void> {
    return this.records.save(session);
  }

  /** From memory, at once. */
  findByKey(key: string): UserSessionRecord | null {
    return this.records.search({ session_id: key })[0] ?? null;
  }

  async list(userId?: string): Promise<UserSessionRecord[]> {
    return this.table.oldestFirst(userId);
  }

  async touch(id: string, changes: SessionChanges, expect?: SessionChanges): Promise<boolean> {
    // The record keeps an absent field absent: null expects it so.
    const expected = expect && Object.fromEntries(Object.entries(expect).map(([field, value]) => [field, value ?? undefined]));
    return (await this.records.update(id, changes, expected ? { expect: expected } : undefined)) !== null;
  }

  remove(id: string): Promise<boolean> {
    return this.records.remove(id);
  }

  removeByUser(userId: string): Promise<number> {
    return this.records.removeWhere({ user_id: userId });
  }

  /**
   * Every session is looked at, in memory: a file copied, migrated or written under a clock set
   * back need not hold them oldest first. The removals share one append.
   */
  async removeCreatedBefore(moment: number): Promise<number> {
    const removed = await Promise.all(this.table.idsCreatedBefore(moment).map((id) => this.records.remove(id)));
    return removed.filter(Boolean).length;
  }

  /** Every session is looked at, in memory, as above. */
  async removeUnusedSince(moment: number): Promise<number> {
    const removed = await Promise.all(this.table.idsUnusedSince(moment).map((id) => this.records.remove(id)));
    return removed.filter(Boolean).length;
  }

  count(): number {
    return this.records.count();
  }

  close(options?: CloseOptions): Promise<void> {
    return this.records.close(options);
  }
}
