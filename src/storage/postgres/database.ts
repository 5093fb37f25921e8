/**
 * One PostgreSQL database through Bun.sql: the connection pool, the schema, the versioned
 * migrations that make the tables on first use, and queries that tell a store that cannot be
 * reached (503) from a query PostgreSQL refused.
 */
import type { SQL } from "bun";
import { Availability } from "../availability.ts";
import { StoreUnavailableError } from "../record-store.ts";

/** Each entry upgrades the schema by one version; never edit one that has shipped, add another. */
export const MIGRATIONS: readonly string[] = [
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
  `CREATE TABLE login_attempts (key text PRIMARY KEY, attempts integer NOT NULL, window_ends bigint NOT NULL, counted boolean NOT NULL);
   CREATE INDEX login_attempts_window_ends ON login_attempts (window_ends);`,
  `ALTER TABLE user_sessions ADD COLUMN last_used_at text, ADD COLUMN client_address text, ADD COLUMN user_agent text;`,
  `ALTER TABLE users ADD COLUMN _admin boolean;`,
  // One account per email, whatever its case: unique where the data allows it; a database that
  // already holds case variants of one address gets a plain index, and keeps working.
  `DO $$ BEGIN
     IF EXISTS (SELECT 1 FROM users WHERE email IS NOT NULL GROUP BY lower(btrim(email)) HAVING count(*) > 1) THEN
       CREATE INDEX users_email_caseless ON users (lower(btrim(email)));
     ELSE
       CREATE UNIQUE INDEX users_email_caseless ON users (lower(btrim(email)));
     END IF;
   END $$;`,
  `ALTER TABLE users ADD COLUMN _unlocked_at text;`,
  `ALTER TABLE user_sessions ADD COLUMN factors text;`,
  `CREATE TABLE user_identities (
     id text PRIMARY KEY,
     created_at text NOT NULL,
     updated_at text NOT NULL,
     user_id text NOT NULL,
     provider text NOT NULL,
     issuer text NOT NULL,
     subject text NOT NULL,
     link_key text NOT NULL UNIQUE,
     email text
   );
   CREATE INDEX user_identities_user_id ON user_identities (user_id);`,
  // One-time codes (user-totp.ts): one row per user, the secrets sealed, the last accepted step.
  `CREATE TABLE user_totp (
     id text PRIMARY KEY,
     created_at text NOT NULL,
     updated_at text NOT NULL,
     secret text,
     pending_secret text,
     enabled_at text,
     last_step integer,
     recovery_codes text
   );`,
  // The counter reaches 2^32 - 1: a double holds it exactly and comes back as a number.
  `CREATE TABLE passkeys (
     id text PRIMARY KEY,
     created_at text NOT NULL,
     updated_at text NOT NULL,
     user_id text NOT NULL,
     credential_id text NOT NULL UNIQUE,
     public_key text NOT NULL,
     algorithm integer NOT NULL,
     sign_count double precision NOT NULL,
     name text NOT NULL,
     transports text NOT NULL,
     backup_eligible boolean NOT NULL,
     backup_state boolean NOT NULL,
     user_verified boolean NOT NULL,
     aaguid text NOT NULL,
     last_used_at text
   );
   CREATE INDEX passkeys_user_id ON passkeys (user_id);
   CREATE TABLE webauthn_challenges (challenge text PRIMARY KEY, purpose text NOT NULL, user_id text, expires_at bigint NOT NULL);
   CREATE INDEX webauthn_challenges_expires_at ON webauthn_challenges (expires_at);`,
  // A user's groups, in a table of their own as in the JSON files (id: the user's).
  `CREATE TABLE user_groups (id text PRIMARY KEY, created_at text NOT NULL, updated_at text NOT NULL, groups text NOT NULL);`,
];

export type Row = Record<string, unknown>;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** A table or column name, quoted; only names made of lowercase letters, digits and `_`. */
export function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a safe SQL identifier: ${name}`);
  return `"${name}"`;
}

const CONNECTION_ATTEMPTS = 3;

/** One connection pool and schema, shared by the stores of one process. */
export class PgDatabase {
  readonly sql: SQL;
  readonly schema: string;
  private migrated: Promise<void> | null = null;
  private readonly availability: Availability;

  /** `timeoutMs`: how long a statement (with its connection attempts) may take before it counts as unavailable. */
  constructor(url: string, schema = "public", timeoutMs = 3000) {
    // Bun.SQL, not an import of it: the import alone costs every start-up a few ms, PostgreSQL or not.
    this.sql = new Bun.SQL({ url, max: 10, connectionTimeout: Math.max(1, Math.ceil(timeoutMs / 1000)), idleTimeout: 30 });
    this.schema = identifier(schema);
    this.availability = new Availability("PostgreSQL", timeoutMs, (error) => unavailable(error) instanceof StoreUnavailableError);
  }

  /** A table of this database's schema, quoted. */
  table(name: string): string {
    return `${this.schema}.${identifier(name)}`;
  }

  /** Runs pending migrations once; after a failure (store down), the next call tries again. */
  ready(): Promise<void> {
    this.migrated ??= this.migrate().catch((error) => {
      this.migrated = null;
      throw unavailable(error);
    });
    return this.migrated;
  }

  /** One statement, once the schema is ready, within the time limit. */
  query(text: string, values: unknown[] = []): Promise<Row[]> {
    return this.availability.run(async () => {
      await this.ready();
      // After PostgreSQL restarts, the pool still holds dead connections and each fails at once;
      // a few more tries reach a fresh one, so the first request after the store is back is served.
      for (let attempt = 1; ; attempt++) {
        try {
          return (await this.sql.unsafe(text, values)) as Row[];
        } catch (error) {
          const mapped = unavailable(error);
          if (!(mapped instanceof StoreUnavailableError) || attempt >= CONNECTION_ATTEMPTS) throw mapped;
        }
      }
    });
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

/** A row as a frozen record, as every store gives them. */
export function toRecord<T>(row: Row): T {
  return Object.freeze({ ...row }) as unknown as T;
}
