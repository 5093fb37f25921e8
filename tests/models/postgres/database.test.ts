/** The PostgreSQL schema the migrations make holds a column per field of each model's field list. */
import { afterAll, describe, expect, test } from "bun:test";
import { PgDatabase } from "../../../src/models/postgres/database.ts";
import { USER_FIELDS } from "../../../src/models/user.ts";
import { SESSION_FIELDS } from "../../../src/models/user-session.ts";
import { TEST_DATABASE_URL } from "../../helpers.ts";

describe.skipIf(!TEST_DATABASE_URL)("PostgreSQL migrations", () => {
  const schema = `t_columns_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const db = TEST_DATABASE_URL ? new PgDatabase(TEST_DATABASE_URL, schema) : null;
  afterAll(async () => {
    await db?.sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db?.close();
  });

  const columns = async (table: string) =>
    (await db!.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [schema, table])).map((row) => row.column_name);

  test("users and user_sessions have exactly the fields of USER_FIELDS and SESSION_FIELDS", async () => {
    expect(await columns("users")).toEqual([...USER_FIELDS]);
    expect(await columns("user_sessions")).toEqual([...SESSION_FIELDS]);
  });

  test("a second ready() finds nothing left to do", async () => {
    await db!.ready();
    const [{ n }] = (await db!.query(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`)) as [{ n: number }];
    expect(n).toBeGreaterThan(0);
    const again = new PgDatabase(TEST_DATABASE_URL!, schema);
    await again.ready();
    await again.close();
    const [{ n: after }] = (await db!.query(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`)) as [{ n: number }];
    expect(after).toBe(n);
  });
});
