/** Attempt counts in the `login_attempts` table, shared by every instance on the database; one statement each. */
import { type AttemptCounters, type AttemptKind, storedKey } from "../attempt-counters.ts";
import type { PgDatabase } from "./database.ts";

export class PgAttemptCounters implements AttemptCounters {
  readonly backend = "postgresql";
  private readonly table: string;

  constructor(private readonly db: PgDatabase) {
    this.table = db.table("login_attempts");
  }

  /** One upsert, atomic under concurrency; `counted` records what this statement did. */
  async take(kind: AttemptKind, key: string, limit: number, windowMs: number, now: number): Promise<number> {
    const [row] = await this.db.query(
      `INSERT INTO ${this.table} AS a (key, attempts, window_ends, counted) VALUES ($1, 1, $2::bigint + $3::bigint, true)
       ON CONFLICT (key) DO UPDATE SET
         attempts = CASE WHEN a.window_ends <= $2::bigint THEN 1 WHEN a.attempts >= $4::int THEN a.attempts ELSE a.attempts + 1 END,
         counted = a.window_ends <= $2::bigint OR a.attempts < $4::int,
         window_ends = CASE WHEN a.window_ends <= $2::bigint THEN $2::bigint + $3::bigint ELSE a.window_ends END
       RETURNING counted, window_ends::text AS window_ends`,
      [storedKey(kind, key), now, windowMs, limit],
    );
    const { counted, window_ends } = row as { counted: boolean; window_ends: string };
    return counted ? 0 : Math.max(1, Number(window_ends) - now);
  }

  async giveBack(kind: AttemptKind, key: string): Promise<void> {
    // A row at 0 counts as no attempt; the sweep removes it once its window ends.
    await this.db.query(`UPDATE ${this.table} SET attempts = greatest(attempts - 1, 0) WHERE key = $1`, [storedKey(kind, key)]);
  }

  async clear(kind: AttemptKind, key: string): Promise<void> {
    await this.db.query(`DELETE FROM ${this.table} WHERE key = $1`, [storedKey(kind, key)]);
  }

  async sweep(now: number): Promise<number> {
    const [row] = await this.db.query(`WITH gone AS (DELETE FROM ${this.table} WHERE window_ends <= $1::bigint RETURNING 1) SELECT count(*)::int AS n FROM gone`, [now]);
    return (row as { n: number }).n;
  }
}
