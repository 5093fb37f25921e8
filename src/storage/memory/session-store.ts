/**
 * Sessions in this process's memory (session_auth, session_exp_auth): records of the same shape
 * as the stored ones, so that the one Sessions service and the one store suite cover them. Every
 * answer is at once; records are frozen and replaced on change, never edited in place.
 */
import type { CloseOptions } from "../record-store.ts";
import type { SessionStore } from "../session-store.ts";
import { createdBefore, oldestFirst, type SessionChanges, unusedSince, type UserSessionRecord } from "../../domain/user-session.ts";

export class MemorySessionStore implements SessionStore {
  readonly backend = "memory";
  /** Record id → record. */
  private readonly byId = new Map<string, UserSessionRecord>();
  /** Key (SHA-256 of the cookie value) → record: one lookup per request. */
  private readonly byKey = new Map<string, UserSessionRecord>();
  /**
   * User id → the ids of their sessions. A Set, not an array (which would save some 45 MiB a
   * million sessions): ending all of a user's k sessions stays O(k), where finding each in an
   * array would take O(k²), which a user who logs in many times could make long.
   */
  private readonly idsByUser = new Map<string, Set<string>>();

  async create(session: UserSessionRecord): Promise<void> {
    this.remove(session.id);
    this.put(Object.freeze({ ...session }));
  }

  findByKey(key: string): UserSessionRecord | null {
    return this.byKey.get(key) ?? null;
  }

  async list(userId?: string): Promise<UserSessionRecord[]> {
    const ids = userId === undefined ? this.byId.keys() : (this.idsByUser.get(userId) ?? []);
    return [...ids].map((id) => this.byId.get(id)!).sort(oldestFirst);
  }

  touch(id: string, changes: SessionChanges, expect: SessionChanges = {}): boolean {
    const record = this.byId.get(id);
    if (record === undefined) return false;
    for (const [field, value] of Object.entries(expect) as [keyof SessionChanges, string | null | undefined][]) {
      if (value !== undefined && (record[field] ?? null) !== value) return false;
    }
    const changed: UserSessionRecord = { ...record };
    for (const [field, value] of Object.entries(changes) as [keyof SessionChanges, string | null | undefined][]) {
      if (value !== undefined) changed[field] = value;
    }
    this.byId.set(id, Object.freeze(changed));
    this.byKey.set(changed.session_id, changed);
    return true;
  }

  remove(id: string): boolean {
    const record = this.byId.get(id);
    if (record === undefined) return false;
    this.byId.delete(id);
    if (this.byKey.get(record.session_id)?.id === id) this.byKey.delete(record.session_id);
    const ids = this.idsByUser.get(record.user_id);
    ids?.delete(id);
    if (ids?.size === 0) this.idsByUser.delete(record.user_id);
    return true;
  }

  removeByUser(userId: string): number {
    return this.removeAll([...(this.idsByUser.get(userId) ?? [])]);
  }

  async removeCreatedBefore(moment: number): Promise<number> {
    return this.removeWhere((record) => createdBefore(record, moment));
  }

  async removeUnusedSince(moment: number): Promise<number> {
    return this.removeWhere((record) => unusedSince(record, moment));
  }

  count(): number {
    return this.byId.size;
  }

  async close(_options?: CloseOptions): Promise<void> {}

  private put(record: UserSessionRecord): void {
    this.byId.set(record.id, record);
    this.byKey.set(record.session_id, record);
    let ids = this.idsByUser.get(record.user_id);
    if (!ids) this.idsByUser.set(record.user_id, (ids = new Set()));
    ids.add(record.id);
  }

  private removeWhere(ended: (record: UserSessionRecord) => boolean): number {
    return this.removeAll([...this.byId.values()].filter(ended).map((record) => record.id));
  }

  private removeAll(ids: readonly string[]): number {
    return ids.filter((id) => this.remove(id)).length;
  }
}
