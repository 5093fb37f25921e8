/** `session-auth migrate --to postgres://…`: copy the JSON files' users and sessions into PostgreSQL. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Env, loadConfig } from "../config.ts";
import { PgDatabase, PgStore, USER_SESSIONS_TABLE, USERS_TABLE } from "../models/pg-store.ts";
import { type RecordStore, UniqueConstraintError } from "../models/record-store.ts";
import { dataFileName } from "../models/json-file-format.ts";
import { openUserStore } from "../models/user.ts";
import { openUserSessionStore } from "../models/user-session.ts";
import type { BaseRecord } from "../models/base.ts";
import { type CliIo, failure, parseFlags, plural, usage } from "./common.ts";

export const MIGRATE_HELP = `Usage: session-auth migrate --to postgres://USER@HOST/DB [--schema NAME]

Copies every user and stored session from the JSON files in DATA_DIR into PostgreSQL, keeping
ids, password hashes and timestamps, so that existing logins and sessions keep working. Running
it again updates what it copied before. The JSON files are only read. Then start the server with
DATABASE_URL set to the same URL (and DATABASE_SCHEMA, if given).
`;

export async function migrateCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(MIGRATE_HELP);
    return 0;
  }
  const flags = parseFlags(argv, ["to", "schema"]);
  const to = flags.get("to");
  if (!to) throw usage("migrate needs --to postgres://…; see session-auth migrate --help");
  const config = loadConfig({ ...env, DATABASE_URL: to, DATABASE_SCHEMA: flags.get("schema") ?? env.DATABASE_SCHEMA });
  if (!existsSync(join(config.dataDir, dataFileName("User")))) throw failure(`no ${dataFileName("User")} in ${config.dataDir} (set DATA_DIR)`);
  const db = new PgDatabase(config.databaseUrl!, config.databaseSchema);
  try {
    const users = await copy(openUserStore(config.dataDir), new PgStore(db, USERS_TABLE));
    const sessions = existsSync(join(config.dataDir, dataFileName("UserSession")))
      ? await copy(openUserSessionStore(config.dataDir), new PgStore(db, USER_SESSIONS_TABLE))
      : 0;
    io.out(`copied ${plural(users, "user")} and ${plural(sessions, "session")} to PostgreSQL (schema ${config.databaseSchema})\n`);
    return 0;
  } finally {
    await db.close();
  }
}

async function copy<T extends BaseRecord>(from: RecordStore<T>, to: RecordStore<T>): Promise<number> {
  let copied = 0;
  try {
    for (const record of await from.all()) {
      try {
        await to.save(record);
      } catch (error) {
        if (error instanceof UniqueConstraintError) throw failure(`${from.model} ${record.id}: its ${error.field} belongs to another record in PostgreSQL`);
        throw error;
      }
      copied += 1;
    }
  } finally {
    await from.close({ compact: false });
  }
  return copied;
}
