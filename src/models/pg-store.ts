/**
 * Records in PostgreSQL through Bun.sql, for several instances sharing one user base. Tables are
 * made by a small versioned migration on first use; email is unique, session lookups indexed.
 */
import { SQL } from "bun";
import type { BaseRecord } from "./base.ts";
import { type RecordStore, StoreUnavailableError, UniqueConstraintError, type UpdateOptions } from "./record-store.ts";

/** Each entry upgrades the schema by one version; never edit one that has shipped, add another. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE users (
     id text PRIMARY KEY,
     created_at text NOT NULL,
     updated_at text NOT NULL,
     email text UNIQUE,
     _password text,
     first_name text,
     last_name text
   );
   CREATE TABLE user_sessions (
     id text PRIMARY KEY,
     created_at text NOT NULL,
     updated_at text NOT NULL,
     user_id text NOT NULL,
     session_id text NOT NULL UNIQUE
   );
   CREATE INDEX user_sessions_user_id ON user_sessions (user_id);
   CREATE INDEX user_sessions_created_at ON user_sessions (created_at, id);`,
  `ALTER TABLE user_sessions ADD COLUMN password_fingerprint text;`,
];

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a safe SQL identifier: ${name}`);
  return `"${name}"`;
}

/** One connection pool and schema, shared by the stores of one process. */
export class PgDatabase {
  readonly sql: SQL;
  readonly schema: string;
  private migrated: Promise<void> | null = null;

  constructor(url: string, schema = "public") {
    this.sql = new SQL({ url, max: 10, connectionTimeout: 5, idleTimeout: 30 });
    this.schema = identifier(schema);
  }

  /** Runs pending migrations once; after a failure (store down), the next call tries again. */
  ready(): Promise<void> {
    this.migrated ??= this.migrate().catch((error) => {
      this.migrated = null;
      throw unavailable(error);
    });
    return this.migrated;
  }

  private async migrate(): Promise<void> {
    await this.sql.begin(async (tx) => {
      // One instance migrates at a time; the others wait here and find nothing left to do.
      await tx.unsafe("SELECT pg_advisory_xact_lock(7411)");
      await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await tx.unsafe(`CREATE TABLE IF NOT EXISTS ${this.schema}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
      const [{ version }] = await tx.unsafe(`SELECT coalesce(max(version), 0)::int AS version FROM ${this.schema}.schema_migrations`);
      for (let next = version; next < MIGRATIONS.length; next++) {
        await tx.unsafe(`SET LOCAL search_path TO ${this.schema}`);
        await tx.unsafe(MIGRATIONS[next]!);
        await tx.unsafe(`INSERT INTO ${this.schema}.schema_migrations (version) VALUES ($1)`, [next + 1]);
      }
    });
  }

  async close(): Promise<void> {
    await this.sql.close();
  }
}

/** Connection trouble (as opposed to a query PostgreSQL refused) means the store is unavailable. */
function unavailable(error: unknown): Error {
  const code = (error as { code?: string }).code ?? "";
  const sqlState = (error as { errno?: string }).errno ?? "";
  if (code === "ERR_POSTGRES_SERVER_ERROR" && !/^(08|57P|53)/.test(sqlState)) return error as Error;
  if (error instanceof StoreUnavailableError) return error;
  return new StoreUnavailableError(`PostgreSQL: ${(error as Error).message}`);
}

export interface PgTable<T> {
  name: string;
  columns: readonly (keyof T & string)[];
}

export const USERS_TABLE: PgTable<import("./user.ts").UserRecord> = {
  name: "users",
  columns: ["id", "created_at", "updated_at", "email", "_password", "first_name", "last_name"],
};

export const USER_SESSIONS_TABLE: PgTable<import("./user-session.ts").UserSessionRecord> = {
  name: "user_sessions",
  columns: ["id", "created_at", "updated_at", "user_id", "session_id", "password_fingerprint"],
};

const SCAN_BATCH = 1000;
const CONNECTION_ATTEMPTS = 3;

export class PgStore<T extends BaseRecord> implements RecordStore<T> {
  readonly model: string;
  private readonly table: string;
  private readonly columns: readonly (keyof T & string)[];
  private readonly columnList: string;

  constructor(
    private readonly db: PgDatabase,
    definition: PgTable<T>,
  ) {
    this.model = definition.name;
    this.table = `${db.schema}.${identifier(definition.name)}`;
    this.columns = definition.columns;
    this.columnList = definition.columns.map(identifier).join(", ");
  }

  /** Every read is fresh: PostgreSQL is the one copy. */
  async get(id: string): Promise<T | null> {
    const [row] = await this.query(`SELECT ${this.columnList} FROM ${this.table} WHERE id = $1`, [id]);
    return row ? this.record(row) : null;
  }

  async all(): Promise<T[]> {
    return (await this.query(`SELECT ${this.columnList} FROM ${this.table} ORDER BY created_at, id`)).map((row) => this.record(row));
  }

  async count(): Promise<number> {
    const [row] = await this.query(`SELECT count(*)::int AS n FROM ${this.table}`);
    return (row as { n: number }).n;
  }

  async search(attributes: Partial<T>): Promise<T[]> {
    const values: unknown[] = [];
    const where = this.conditions(attributes, values);
    if (where === null) return [];
    return (await this.query(`SELECT ${this.columnList} FROM ${this.table} WHERE ${where} ORDER BY created_at, id`, values)).map((row) => this.record(row));
  }

  async save(record: T): Promise<void> {
    const values = this.columns.map((column) => record[column] ?? null);
    const placeholders = this.columns.map((_, i) => `$${i + 1}`).join(", ");
    const updates = this.columns.filter((c) => c !== "id").map((c) => `${identifier(c)} = EXCLUDED.${identifier(c)}`).join(", ");
    await this.writing(() => this.query(`INSERT INTO ${this.table} (${this.columnList}) VALUES (${placeholders}) ON CONFLICT (id) DO UPDATE SET ${updates}`, values));
  }

  /** One UPDATE of the named columns, conditional on the row existing (and on `expect`). */
  async update(id: string, changes: Partial<T>, options: UpdateOptions<T> = {}): Promise<T | null> {
    const fields = (Object.keys(changes) as (keyof T & string)[]).filter((field) => field !== "id" && this.columns.includes(field));
    const values: unknown[] = fields.map((field) => changes[field] ?? null);
    const sets = fields.map((field, i) => `${identifier(field)} = $${i + 1}`);
    const where = this.conditions({ ...options.expect, id } as Partial<T>, values);
    if (where === null) return null;
    const text = sets.length > 0 ? `UPDATE ${this.table} SET ${sets.join(", ")} WHERE ${where} RETURNING ${this.columnList}` : `SELECT ${this.columnList} FROM ${this.table} WHERE ${where}`;
    const [row] = await this.writing(() => this.query(text, values));
    return row ? this.record(row) : null;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.query(`DELETE FROM ${this.table} WHERE id = $1 RETURNING id`, [id])).length > 0;
  }

  async removeWhere(attributes: Partial<T>): Promise<number> {
    const values: unknown[] = [];
    const where = this.conditions(attributes, values);
    if (where === null) return 0;
    return (await this.query(`DELETE FROM ${this.table} WHERE ${where} RETURNING id`, values)).length;
  }

  /**
   * The WHERE clause for "every attribute equals", its values appended to `values`; null when an
   * attribute is not a column (no row can have it).
   */
  private conditions(attributes: Partial<T>, values: unknown[]): string | null {
    const conditions: string[] = ["true"];
    for (const field in attributes) {
      if (!this.columns.includes(field)) return null;
      const value = attributes[field];
      if (value === null || value === undefined) conditions.push(`${identifier(field)} IS NULL`);
      else conditions.push(`${identifier(field)} = $${values.push(value)}`);
    }
    return conditions.join(" AND ");
  }

  /** A write, with PostgreSQL's unique violation turned into the store's error. */
  private async writing<R>(write: () => Promise<R>): Promise<R> {
    try {
      return await write();
    } catch (error) {
      if ((error as { errno?: string }).errno === "23505") {
        const constraint = String((error as { constraint?: string }).constraint ?? "");
        const field = this.columns.find((column) => constraint === `${this.model}_${column}_key`) ?? "id";
        throw new UniqueConstraintError(field);
      }
      throw error;
    }
  }

  /** Oldest first, in batches, so that a sweep can stop early without reading the whole table. */
  async *scan(): AsyncIterable<T> {
    let after: [string, string] | null = null;
    for (;;) {
      const rows: Record<string, unknown>[] = after
        ? await this.query(`SELECT ${this.columnList} FROM ${this.table} WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT ${SCAN_BATCH}`, after)
        : await this.query(`SELECT ${this.columnList} FROM ${this.table} ORDER BY created_at, id LIMIT ${SCAN_BATCH}`);
      for (const row of rows) yield this.record(row);
      if (rows.length < SCAN_BATCH) return;
      const last = rows[rows.length - 1]!;
      after = [String(last.created_at), String(last.id)];
    }
  }

  /** The pool belongs to the PgDatabase, closed with the app. */
  async close(): Promise<void> {}

  private async query(text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
    await this.db.ready();
    // After PostgreSQL restarts, the pool still holds dead connections and each fails at once;
    // a few more tries reach a fresh one, so the first request after the store is back is served.
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.db.sql.unsafe(text, values)) as Record<string, unknown>[];
      } catch (error) {
        const mapped = unavailable(error);
        if (!(mapped instanceof StoreUnavailableError) || attempt >= CONNECTION_ATTEMPTS) throw mapped;
      }
    }
  }

  private record(row: Record<string, unknown>): T {
    return Object.freeze({ ...row }) as unknown as T;
  }
}
