/** WebAuthn challenges in the `webauthn_challenges` table, shared by every instance on the database. */
import { type ChallengePurpose, type ChallengeStore, type IssuedChallenge, MAX_CHALLENGES } from "../challenge-store.ts";
import type { PgDatabase } from "./database.ts";

/** Every this many challenges, the expired ones (and any beyond the cap) are deleted. */
const TIDY_EVERY = 64;

export class PgChallengeStore implements ChallengeStore {
  readonly backend = "postgresql";
  private readonly table: string;
  private issuedSinceTidy = 0;

  constructor(private readonly db: PgDatabase) {
    this.table = db.table("webauthn_challenges");
  }

  async put(challenge: string, issued: IssuedChallenge, now: number): Promise<void> {
    await this.db.query(`INSERT INTO ${this.table} (challenge, purpose, user_id, expires_at) VALUES ($1, $2, $3, $4::bigint)`, [challenge, issued.purpose, issued.userId, issued.expiresAt]);
    if (++this.issuedSinceTidy >= TIDY_EVERY) {
      this.issuedSinceTidy = 0;
      await this.db.query(`DELETE FROM ${this.table} WHERE expires_at <= $1::bigint`, [now]);
      await this.db.query(`DELETE FROM ${this.table} WHERE challenge IN (SELECT challenge FROM ${this.table} ORDER BY expires_at DESC OFFSET $1::int)`, [MAX_CHALLENGES]);
    }
  }

  async take(challenge: string): Promise<IssuedChallenge | null> {
    const [row] = await this.db.query(`DELETE FROM ${this.table} WHERE challenge = $1 RETURNING purpose, user_id, expires_at::text AS expires_at`, [challenge]);
    if (row === undefined) return null;
    return { purpose: row.purpose as ChallengePurpose, userId: (row.user_id as string | null) ?? null, expiresAt: Number(row.expires_at) };
  }
}
