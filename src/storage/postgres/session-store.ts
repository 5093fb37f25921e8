/** Sessions in the `user_sessions` table: each operation one statement, indexed by session key and user. */
import type { SessionStore } from "../session-store.ts";
import { sqlTimestampBelow, timestampsBelow } from "../../domain/session-time.ts";
import { OPTIONAL_SESSION_FIELDS, SESSION_FIELDS, type SessionChanges, type UserSessionRecord } from "../../domain/user-session.ts";
import { identifier, type PgDatabase, type Row } from "./database.ts";
import { upsertStatement } from "./store.ts";

const COLUMNS = SESSION_FIELDS.map(identifier).join(", ");

/** A row as a frozen record; a field the row holds no value for is absent, as in the other stores. */
function toSession(row: Row): UserSessionRecord {
  const record = { ...row };
  for (const field of OPTIONAL_SESSION_FIELDS) if (record[field] === null) delete record[field];
  return Object.freeze(record) as unknown as UserSessionRecord;
}

export class PgSessionStore implements SessionStore {
  readonly backend = "postgresql";
  private readonly table: string;
  private readonly upsert: string;

  constructor(private readonly db: PgDatabase) {
    this.table = db.table("user_sessions");
    this.upsert = upsertStatement(this.table, SESSION_FIELDS);
  }

  async create(session: UserSessionRecord): Promise<void> {
    await this.db.query(this.upsert, SESSION_FIELDS.map((field) => session[field] ?? null));
  }

  async findByKey(key: string): Promise<UserSessionRecord | null> {
    const [row] = await this.db.query(`SELECT ${COLUMNS} FROM ${this.table} WHERE session_id = $1`, [key]);
    return row ? toSession(row) : null;
  }

  async list(userId?: string): Promise<UserSessionRecord[]> {
    const rows =
      userId === undefined
        ? await this.db.query(`SELECT ${COLUMNS} FROM ${this.table} ORDER BY created_at, id`)
        : await this.db.query(`SELECT ${COLUMNS} FROM ${this.table} WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
    return rows.map((row) => toSession(row));
  }

  async touch(id: string, changes: SessionChanges, expect: SessionChanges = {}): Promise<boolean> {
    const present = (values: SessionChanges) => (Object.keys(values) as (keyof SessionChanges)[]).filter((field) => values[field] !== undefined);
    const params: unknown[] = [id];
    const parameter = (value: unknown) => `$${params.push(value)}`;
    const sets = present(changes).map((field) => `${identifier(field)} = ${parameter(changes[field])}`);
    const conditions = present(expect).map((field) => ` AND ${identifier(field)} IS NOT DISTINCT FROM ${parameter(expect[field])}`).join("");
    if (sets.length === 0) return (await this.db.query(`SELECT 1 FROM ${this.table} WHERE id = $1${conditions}`, params)).length > 0;
    return (await this.db.query(`UPDATE ${this.table} SET ${sets.join(", ")} WHERE id = $1${conditions} RETURNING id`, params)).length > 0;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.db.query(`DELETE FROM ${this.table} WHERE id = $1 RETURNING id`, [id])).length > 0;
  }

  removeByUser(userId: string): Promise<number> {
    return this.deleted(`user_id = $1`, [userId]);
  }

  /**
   * One DELETE on the created_at index. Timestamps compare as text; one with a space for the
   * `T` (as some old files have) is compared in the usual form, so it is never removed early.
   */
  removeCreatedBefore(moment: number): Promise<number> {
    return this.deleted(sqlTimestampBelow("created_at", "$1"), [timestampsBelow(moment)]);
  }

  /** Sessions never used since their creation are judged by that, as the other stores do. */
  removeUnusedSince(moment: number): Promise<number> {
    return this.deleted(sqlTimestampBelow("coalesce(last_used_at, created_at)", "$1"), [timestampsBelow(moment)]);
  }

  async count(): Promise<number> {
    const [row] = await this.db.query(`SELECT count(*)::int AS n FROM ${this.table}`);
    return (row as { n: number }).n;
  }

  /** The pool belongs to the PgDatabase, closed with the app. */
  async close(): Promise<void> {}

  /** Deletes the rows matching `where`; how many. */
  private async deleted(where: string, values: unknown[]): Promise<number> {
    const [row] = await this.db.query(`WITH gone AS (DELETE FROM ${this.table} WHERE ${where} RETURNING 1) SELECT count(*)::int AS n FROM gone`, values);
    return (row as { n: number }).n;
  }
}
