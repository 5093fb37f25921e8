/**
 * A user's groups, for access rules (`group:<name>`) and the `Remote-Groups` header. Kept in a
 * record of their own, keyed by the user's id (`.db_UserGroups.json`, the `user_groups` table),
 * outside the users' records, which the original program rewrites with the fields it knows.
 */
import type { BaseRecord } from "./base.ts";

export interface UserGroupsRecord extends BaseRecord {
  /** The names, lowercase, sorted, joined by commas. */
  groups: string;
}

export const USER_GROUPS_FIELDS = ["id", "created_at", "updated_at", "groups"] as const satisfies readonly (keyof UserGroupsRecord)[];

/** A group name: what `Remote-Groups` can carry between commas. Names are kept lowercase. */
export const GROUP_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** More than this many groups is a mistake, and a header no proxy would pass. */
export const MAX_GROUPS = 64;

const NONE: readonly string[] = Object.freeze([]);
const parsed = new WeakMap<UserGroupsRecord, readonly string[]>();

/**
 * Group names from a list (the API's JSON array) or a comma-separated text (the CLI's `a,b`):
 * trimmed, lowercase, sorted, each once; a message for a name that cannot be one.
 */
export function parseGroups(input: unknown): { groups: readonly string[] } | { problem: string } {
  const items = typeof input === "string" ? (input.trim() === "" ? [] : input.split(",")) : input;
  if (!Array.isArray(items)) return { problem: "groups must be a list of group names" };
  const names = new Set<string>();
  for (const item of items) {
    if (typeof item !== "string") return { problem: "groups must be a list of group names" };
    const name = item.trim().toLowerCase();
    if (!GROUP_NAME.test(name)) return { problem: `${JSON.stringify(item.slice(0, 80))} is not a group name: letters, digits, ".", "_" and "-", up to 64, starting with a letter or digit` };
    names.add(name);
  }
  if (names.size > MAX_GROUPS) return { problem: `at most ${MAX_GROUPS} groups` };
  return { groups: Object.freeze([...names].sort()) };
}

/** The groups a stored record names (none for no record); read once per stored record. */
export function storedGroups(record: UserGroupsRecord | null): readonly string[] {
  if (record === null || record.groups === "") return NONE;
  let groups = parsed.get(record);
  if (groups === undefined) {
    groups = Object.freeze(record.groups.split(",").filter((name) => GROUP_NAME.test(name)));
    if (Object.isFrozen(record)) parsed.set(record, groups);
  }
  return groups;
}
