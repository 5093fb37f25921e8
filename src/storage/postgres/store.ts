/**
 * Records in PostgreSQL, for several instances sharing one user base: the record store over one
 * table, every read fresh (PostgreSQL is the one copy), every write one statement.
 */
import type { BaseRecord } from "../../domain/base.ts";
import { type BatchOptions, type RecordStore, UniqueConstraintError, type UpdateOptions } from "../record-store.ts";
import { USER_FIELDS, type UserRecord } from "../../domain/user.ts";
import { IDENTITY_FIELDS, type IdentityRecord } from "../../domain/identity.ts";
import { USER_GROUPS_FIELDS, type UserGroupsRecord } from "../../domain/user-groups.ts";
import { identifier, type PgDatabase, type Row, toRecord } from "./database.ts";

export interface PgTable<T> {
  name: string;
  columns: readonly (keyof T & string)[];
  /** Columns a record may lack: a NULL there comes back as no field, as the JSON files keep it. */
  optional?: readonly (keyof T & string)[];
  /** Text columns compared trimmed and lowercase (emails), on an index of that expression. */
  caseless?: readonly (keyof T & string)[];
}

/** A user's groups (user-groups.ts). */
export const USER_GROUPS_TABLE: PgTable<UserGroupsRecord> = { name: "user_groups", columns: USER_GROUPS_FIELDS };

/** The users table: a column per stored field. */
export const USERS_TABLE: PgTable<UserRecord> = { name: "users", columns: USER_FIELDS, optional: ["_admin", "_unlocked_at"], caseless: ["email"] };

/** The identity links of sign-in providers. */
export const IDENTITIES_TABLE: PgTable<IdentityRecord> = { name: "user_identities", columns: IDENTITY_FIELDS };

/**
 * The WHERE clause for "every attribute equals", its values appended to `values`; null when an
 * attribute is not a column (no row can have it).
 */
export function equalities<T>(columns: readonly string[], attributes: Partial<T>, values: unknown[], caseless: readonly string[] = []): string | null {
  const conditions: string[] = ["true"];
  for (const field in attributes) {
    if (!columns.includes(field)) return null;
    const value = attributes[field];
    if (value === null || value === undefined) conditions.push(`${identifier(field)} IS NULL`);
    else if (caseless.includes(field)) conditions.push(`lower(btrim(${identifier(field)})) = lower(btrim($${values.push(value)}))`);
    else conditions.push(`${identifier(field)} = $${values.push(value)}`);
  }
  return conditions.join(" AND ");
}

/** INSERT of every column, replacing the row with the same id. */
export function upsertStatement(table: string, columns: readonly string[]): string {
  const placeholders = columns.map((_, i) => `$${i + 1}`).join(", ");
  const updates = columns.filter((c) => c !== "id").map((c) => `${identifier(c)} = EXCLUDED.${identifier(c)}`).join(", ");
  return `INSERT INTO ${table} (${columns.map(identifier).join(", ")}) VALUES (${placeholders}) ON CONFLICT (id) DO UPDATE SET ${updates}`;
}

export class PgStore<T extends BaseRecord> implements RecordStore<T> {
  readonly backend = "postgresql";
  readonly model: string;
  private readonly table: string;
  private readonly columns: readonly (keyof T & string)[];
  private readonly columnList: string;
  private readonly upsert: string;
  private readonly optional: readonly string[];
  private readonly caseless: readonly string[];

  constructor(
    private readonly db: PgDatabase,
    definition: PgTable<T>,
  ) {
    this.model = definition.name;
    this.table = db.table(definition.name);
    this.columns = definition.columns;
    this.columnList = definition.columns.map(identifier).join(", ");
    this.upsert = upsertStatement(this.table, definition.columns);
    this.optional = definition.optional ?? [];
    this.caseless = definition.caseless ?? [];
  }

  /** A row as a frozen record, without the optional fields it holds no value for. */
  private record(row: Row): T {
    if (this.optional.length === 0) return toRecord<T>(row);
    const record = { ...row };
    for (const field of this.optional) if (record[field] === null) delete record[field];
    return toRecord<T>(record);
  }

  async get(id: string): Promise<T | null> {
    const [row] = await this.db.query(`SELECT ${this.columnList} FROM ${this.table} WHERE id = $1`, [id]);
    return row ? this.record(row) : null;
  }

  async all(): Promise<T[]> {
    return (await this.db.query(`SELECT ${this.columnList} FROM ${this.table} ORDER BY created_at, id`)).map((row) => this.record(row));
  }

  /** The first batch by OFFSET, the rest by key (created_at, id), so that each is one indexed range. */
  async *batches({ size, offset = 0, limit = Number.POSITIVE_INFINITY }: BatchOptions): AsyncIterable<T[]> {
    let after: [string, string] | null = null;
    let left = limit;
    while (left > 0) {
      const take = Math.min(size, left);
      const rows: Row[] = after
        ? await this.db.query(`SELECT ${this.columnList} FROM ${this.table} WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT ${take}`, after)
        : await this.db.query(`SELECT ${this.columnList} FROM ${this.table} ORDER BY created_at, id OFFSET ${Math.floor(offset)} LIMIT ${take}`);
      if (rows.length > 0) yield rows.map((row) => this.record(row));
      if (rows.length < take) return;
      left -= rows.length;
      const last = rows[rows.length - 1]!;
      after = [String(last.created_at), String(last.id)];
    }
  }

  async count(): Promise<number> {
    const [row] = await this.db.query(`SELECT count(*)::int AS n FROM ${this.table}`);
    return (row as { n: number }).n;
  }

  async search(attributes: Partial<T>): Promise<T[]> {
    const values: unknown[] = [];
    const where = equalities(this.columns, attributes, values, this.caseless);
    if (where === null) return [];
    return (await this.db.query(`SELECT ${this.columnList} FROM ${this.table} WHERE ${where} ORDER BY created_at, id`, values)).map((row) => this.record(row));
  }

  async save(record: T): Promise<void> {
    await this.writing(() => this.db.query(this.upsert, this.columns.map((column) => record[column] ?? null)));
  }

  /** One UPDATE of the named columns, conditional on the row existing (and on `expect`). */
  async update(id: string, changes: Partial<T>, options: UpdateOptions<T> = {}): Promise<T | null> {
    const fields = (Object.keys(changes) as (keyof T & string)[]).filter((field) => field !== "id" && this.columns.includes(field));
    const values: unknown[] = fields.map((field) => changes[field] ?? null);
    const sets = fields.map((field, i) => `${identifier(field)} = $${i + 1}`);
    const where = equalities(this.columns, { ...options.expect, id } as Partial<T>, values, this.caseless);
    if (where === null) return null;
    const text = sets.length > 0 ? `UPDATE ${this.table} SET ${sets.join(", ")} WHERE ${where} RETURNING ${this.columnList}` : `SELECT ${this.columnList} FROM ${this.table} WHERE ${where}`;
    const [row] = await this.writing(() => this.db.query(text, values));
    return row ? this.record(row) : null;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.db.query(`DELETE FROM ${this.table} WHERE id = $1 RETURNING id`, [id])).length > 0;
  }

  async removeWhere(attributes: Partial<T>): Promise<number> {
    const values: unknown[] = [];
    const where = equalities(this.columns, attributes, values, this.caseless);
    if (where === null) return 0;
    return (await this.db.query(`DELETE FROM ${this.table} WHERE ${where} RETURNING id`, values)).length;
  }

  /** A write, with PostgreSQL's unique violation turned into the store's error. */
  private async writing(write: () => Promise<Row[]>): Promise<Row[]> {
    try {
      return await write();
    } catch (error) {
      if ((error as { errno?: string }).errno === "23505") {
        const constraint = String((error as { constraint?: string }).constraint ?? "");
        const field = this.columns.find((column) => constraint === `${this.model}_${column}_key` || constraint === `${this.model}_${column}_caseless`) ?? "id";
        throw new UniqueConstraintError(field);
      }
      throw error;
    }
  }

  /** The pool belongs to the PgDatabase, closed with the app. */
  async close(): Promise<void> {}
}
