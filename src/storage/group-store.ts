/** The users' groups: one record per user who has any, keyed by the user's id; JSON file or PostgreSQL. */
import { formatTimestamp, type Clock } from "../domain/base.ts";
import { storedGroups, type UserGroupsRecord } from "../domain/user-groups.ts";
import { andThen, type MaybePromise } from "../maybe-promise.ts";
import { JsonFileStore, type StoreTuning } from "./json-file/store.ts";
import type { RecordStore } from "./record-store.ts";

export type GroupStore = RecordStore<UserGroupsRecord>;

/** `.db_UserGroups.json`, beside the users' file, with its own lock and journal. */
export function openGroupStore(dataDir: string, options: StoreTuning = {}): JsonFileStore<UserGroupsRecord> {
  return JsonFileStore.open<UserGroupsRecord>({ ...options, model: "UserGroups", dataDir });
}

/** A user's groups, at once when the store holds them in memory. */
export function groupsOf(store: GroupStore, userId: string): MaybePromise<readonly string[]> {
  return andThen(store.get(userId), storedGroups);
}

/** Gives a user exactly these groups (none: the record goes). */
export async function setGroups(store: GroupStore, userId: string, groups: readonly string[], clock: Clock): Promise<void> {
  if (groups.length === 0) {
    await store.remove(userId);
    return;
  }
  const now = formatTimestamp(clock());
  const text = groups.join(",");
  const updated = await store.update(userId, { groups: text, updated_at: now });
  if (updated === null) await store.save({ id: userId, created_at: now, updated_at: now, groups: text });
}
