/** `session-auth migrate --to postgres://…`: copy the JSON files' users and sessions into PostgreSQL. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type Env, loadConfig } from "../config.ts";
import type { BaseRecord } from "../domain/base.ts";
import { dataFileName } from "../storage/json-file/format.ts";
import { PgDatabase } from "../storage/postgres/database.ts";
import { PgSessionStore } from "../storage/postgres/session-store.ts";
import { PgStore, USERS_TABLE } from "../storage/postgres/store.ts";
import { type CloseOptions, UniqueConstraintError } from "../storage/record-store.ts";
import { jsonFileSessions } from "../storage/stores.ts";
import { openUserStore } from "../storage/user-store.ts";
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
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ ...env, DATABASE_URL: to, DATABASE_SCHEMA: flags.get("schema") ?? env.DATABASE_SCHEMA });
  } catch (error) {
    // The message names the variable the flag stands for; name the flag that was typed.
    if (error instanceof ConfigError) throw usage(error.message.replace(/^DATABASE_URL\b/, "--to").replace(/^DATABASE_SCHEMA\b/, flags.has("schema") ? "--schema" : "DATABASE_SCHEMA"));
    throw error;
  }
  if (!existsSync(join(config.dataDir, dataFileName("User")))) throw failure(`no ${dataFileName("User")} in ${config.dataDir} (set DATA_DIR)`);
  const db = new PgDatabase(config.databaseUrl!, config.databaseSchema);
  try {
    const pgUsers = new PgStore(db, USERS_TABLE);
    const users = await copy("User", openUserStore(config.dataDir), (store) => store.all(), (user) => pgUsers.save(user), io);
    const pgSessions = new PgSessionStore(db);
    const sessions = existsSync(join(config.dataDir, dataFileName("UserSession")))
      ? await copy("UserSession", jsonFileSessions().open(config.dataDir), (store) => store.list(), (session) => pgSessions.create(session), io)
      : 0;
    io.out(`copied ${plural(users, "user")} and ${plural(sessions, "session")} to PostgreSQL (schema ${config.databaseSchema})\n`);
    return 0;
  } finally {
    await db.close();
  }
}

/** How often progress is shown on a terminal. */
const PROGRESS_EVERY_MS = 500;

/**
 * Every record `read` finds in a JSON-file store, given to `write`; the store is only read, and
 * closed after. On a terminal, a progress line (records copied, rate) is kept current.
 */
async function copy<S extends { close(options?: CloseOptions): Promise<void> }, T extends BaseRecord>(
  model: string,
  from: S,
  read: (store: S) => Promise<T[]>,
  write: (record: T) => Promise<void>,
  io: CliIo,
): Promise<number> {
  let copied = 0;
  const started = performance.now();
  let shown = started;
  const progress = (records: number) => {
    const seconds = (performance.now() - started) / 1000;
    io.progress?.(`${model}: ${copied.toLocaleString("en")} of ${records.toLocaleString("en")} copied, ${Math.round(copied / Math.max(seconds, 0.001)).toLocaleString("en")}/s`);
  };
  try {
    const records = await read(from);
    for (const record of records) {
      if (performance.now() - shown >= PROGRESS_EVERY_MS) {
        shown = performance.now();
        progress(records.length);
      }
      try {
        await write(record);
      } catch (error) {
        if (error instanceof UniqueConstraintError) throw failure(`${model} ${record.id}: its ${error.field} belongs to another record in PostgreSQL`);
        throw error;
      }
      copied += 1;
    }
    if (performance.now() - started >= PROGRESS_EVERY_MS) progress(records.length);
  } finally {
    io.progress?.(null);
    await from.close({ compact: false });
  }
  return copied;
}
