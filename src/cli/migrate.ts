/**
 * `session-auth migrate --to postgres://…`: copy the JSON files' users, sessions, identity links, one-time-code factors and passkeys into
 * PostgreSQL, from one opened store set to another, through the stores' interfaces.
 */
import { existsSync } from "node:fs";
import { joinPath } from "../file-paths.ts";
import { ConfigError, type Env, loadConfig } from "../config.ts";
import type { BaseRecord } from "../domain/base.ts";
import type { PasskeyRecord } from "../domain/passkey.ts";
import type { UserRecord } from "../domain/user.ts";
import type { UserSessionRecord } from "../domain/user-session.ts";
import type { IdentityRecord } from "../domain/identity.ts";
import { IDENTITY_MODEL } from "../storage/identity-store.ts";
import { USER_TOTP_MODEL, type UserTotpRecord } from "../domain/user-totp.ts";
import type { UserGroupsRecord } from "../domain/user-groups.ts";
import { dataFileName } from "../storage/json-file/format.ts";
import { UniqueConstraintError } from "../storage/record-store.ts";
import { openStores, type Stores } from "../storage/stores.ts";
import { type CliIo, failure, parseFlags, plural, usage } from "./common.ts";

export const MIGRATE_HELP = `Usage: session-auth migrate --to postgres://USER@HOST/DB [--schema NAME]

Copies every user and their groups, stored session, identity link, one-time-code factor and passkey from the JSON files in
DATA_DIR into PostgreSQL, keeping ids, password hashes and timestamps, so that existing logins and
sessions keep working. TOTP secrets are copied sealed: keep the same key (SECRET_KEY, or the data
folder's .totp.key as SECRET_KEY). Running
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
  if (!existsSync(joinPath(config.dataDir, dataFileName("User")))) throw failure(`no ${dataFileName("User")} in ${config.dataDir} (set DATA_DIR)`);
  const hasSessions = existsSync(joinPath(config.dataDir, dataFileName("UserSession")));
  // Two store sets, opened from the same settings: the data folder's, and PostgreSQL's.
  const source = openStores({ ...config, databaseUrl: null, redisUrl: null }, hasSessions);
  const target = openStores({ ...config, redisUrl: null }, true);
  try {
    const copied: string[] = [];
    const hasLinks = existsSync(joinPath(config.dataDir, dataFileName(IDENTITY_MODEL)));
    // Groups are copied when the data folder has any (the original program's folders have none).
    const hasGroups = (await source.groups.count()) > 0;
    for (const table of tablesToCopy(source, target, { links: hasLinks, groups: hasGroups, totp: hasDataFile(config.dataDir, USER_TOTP_MODEL), passkeys: hasDataFile(config.dataDir, "Passkey") })) copied.push(plural(await copy(table, io), table.noun));
    io.out(`copied ${[copied.slice(0, -1).join(", "), copied.at(-1)].filter(Boolean).join(" and ")} to PostgreSQL (schema ${config.databaseSchema})\n`);
    return 0;
  } finally {
    // The JSON files are only read: their journals are left as they are.
    await Promise.all([source.close({ compact: false }), target.close()]);
  }
}

/** Whether the folder holds a model's records: its data file, or a journal not yet folded into one. */
function hasDataFile(dataDir: string, model: string): boolean {
  const file = joinPath(dataDir, dataFileName(model));
  return existsSync(file) || existsSync(`${file}.journal`);
}

/** One kind of record to copy: how the source lists them, how the target stores one. */
interface Table<T extends BaseRecord = BaseRecord> {
  model: string;
  noun: string;
  read(): Promise<T[]>;
  write(record: T): Promise<void>;
}

/** What migrate copies, in order: users before what belongs to them. */
function tablesToCopy(source: Stores, target: Stores, has: { links: boolean; groups: boolean; totp: boolean; passkeys: boolean }): Table[] {
  const tables: Table[] = [{ model: "User", noun: "user", read: () => source.users.all(), write: (user) => target.users.save(user as UserRecord) }];
  if (has.groups) tables.push({ model: "UserGroups", noun: "user's group list", read: () => source.groups.all(), write: (groups) => target.groups.save(groups as UserGroupsRecord) });
  const [from, to] = [source.sessions, target.sessions];
  if (from && to) tables.push({ model: "UserSession", noun: "session", read: () => from.list(), write: (session) => to.create(session as UserSessionRecord) });
  // Sign-in providers' identity links, when any were made.
  if (has.links) tables.push({ model: IDENTITY_MODEL, noun: "identity link", read: () => source.identities().all(), write: (link) => target.identities().save(link as IdentityRecord) });
  // Secrets stay sealed: the server on PostgreSQL opens them with the same key (SECRET_KEY or .totp.key).
  if (has.totp) tables.push({ model: USER_TOTP_MODEL, noun: "one-time-code factor", read: () => source.totp.all(), write: (factor) => target.totp.save(factor as UserTotpRecord) });
  if (has.passkeys) tables.push({ model: "Passkey", noun: "passkey", read: () => source.passkeys.all(), write: (passkey) => target.passkeys.save(passkey as PasskeyRecord) });
  return tables;
}

/** How often progress is shown on a terminal. */
const PROGRESS_EVERY_MS = 500;

/** Every record the table's source lists, written to its target; on a terminal, a progress line (records copied, rate) is kept current. */
async function copy(table: Table, io: CliIo): Promise<number> {
  let copied = 0;
  const started = performance.now();
  let shown = started;
  const progress = (records: number) => {
    const seconds = (performance.now() - started) / 1000;
    io.progress?.(`${table.model}: ${copied.toLocaleString("en")} of ${records.toLocaleString("en")} copied, ${Math.round(copied / Math.max(seconds, 0.001)).toLocaleString("en")}/s`);
  };
  try {
    const records = await table.read();
    for (const record of records) {
      if (performance.now() - shown >= PROGRESS_EVERY_MS) {
        shown = performance.now();
        progress(records.length);
      }
      try {
        await table.write(record);
      } catch (error) {
        if (error instanceof UniqueConstraintError) throw failure(`${table.model} ${record.id}: its ${error.field} belongs to another record in PostgreSQL`);
        throw error;
      }
      copied += 1;
    }
    if (performance.now() - started >= PROGRESS_EVERY_MS) progress(records.length);
  } finally {
    io.progress?.(null);
  }
  return copied;
}
