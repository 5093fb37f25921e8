/** The PostgreSQL schema the migrations make holds a column per field of each model's field list. */
import { afterAll, describe, expect, test } from "bun:test";
import { MIGRATIONS, PgDatabase } from "../../../src/storage/postgres/database.ts";
import { USER_FIELDS } from "../../../src/domain/user.ts";
import { SESSION_FIELDS } from "../../../src/domain/user-session.ts";
import { TEST_DATABASE_URL } from "../../helpers.ts";

/** A database on a schema of its own, dropped after the file's tests. */
function scratchDatabase(name: string) {
  const schema = `t_${name}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const db = TEST_DATABASE_URL ? new PgDatabase(TEST_DATABASE_URL, schema) : null;
  afterAll(async () => {
    await db?.sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db?.close();
  });
  return { schema, db };
}

describe.skipIf(!TEST_DATABASE_URL)("PostgreSQL migrations", () => {
  const { schema, db } = scratchDatabase("columns");

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

describe.skipIf(!TEST_DATABASE_URL)("PostgreSQL migrations over data that holds case variants of one email", () => {
  const { schema, db } = scratchDatabase("variants");

  test("the caseless index is made without UNIQUE, and the database keeps working", async () => {
    // The schema as the version before the caseless index left it, with two case variants.
    const before = MIGRATIONS.findIndex((migration) => migration.includes("users_email_caseless"));
    await db!.sql.unsafe(`CREATE SCHEMA ${schema}`);
    await db!.sql.unsafe(`CREATE TABLE ${schema}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    for (let version = 0; version < before; version++) {
      await db!.sql.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL search_path TO ${schema}`);
        await tx.unsafe(MIGRATIONS[version]!);
        await tx.unsafe(`INSERT INTO ${schema}.schema_migrations (version) VALUES (${version + 1})`);
      });
    }
    for (const [id, email] of [["a", "twin@hbtn.io"], ["b", "Twin@hbtn.io"]]) {
      await db!.sql.unsafe(`INSERT INTO ${schema}.users (id, created_at, updated_at, email) VALUES ('${id}', 'x', 'x', '${email}')`);
    }
    await db!.ready();
    const [index] = (await db!.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'users_email_caseless'`, [schema])) as [{ indexdef: string }];
    expect(index.indexdef).not.toContain("UNIQUE");
    expect(await db!.query(`SELECT id FROM ${schema}.users WHERE lower(btrim(email)) = lower(btrim($1)) ORDER BY id`, ["TWIN@hbtn.io"])).toEqual([{ id: "a" }, { id: "b" }]);
  });
});
