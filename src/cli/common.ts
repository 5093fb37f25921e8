/** What every command shares: output, errors with exit codes, flags, tables, the stores. */
import { type Config, type Env, loadConfig } from "../config.ts";
import { checkDataDir, checkReadableDataDir } from "../storage/data-dir.ts";
import { openStores, type Stores, usesDataDir } from "../storage/stores.ts";
import { foldEmail, passwordProblem, type UserRecord } from "../domain/user.ts";
import { type UserStore } from "../storage/user-store.ts";
import type { SessionStore } from "../storage/session-store.ts";
import { systemClock } from "../domain/base.ts";
import { sessionPolicy, Sessions } from "../sessions/sessions.ts";

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /**
   * Reads a password when no flag gives it: stdin, or a prompt on a terminal without echo, asked
   * twice there (a typo would lock the user out); a mismatch is an error.
   */
  readSecret(prompt: string): Promise<string>;
  /** A line of progress kept current in place on a terminal (null: done, clear it); absent elsewhere. */
  progress?(line: string | null): void;
}

/** A failure the user can act on, printed as one line: exit 1 (failed) or 2 (usage). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

export const usage = (message: string) => new CliError(message, 2);
export const failure = (message: string) => new CliError(message, 1);

export interface Subcommand {
  help: string;
  run(argv: readonly string[], env: Env, io: CliIo): Promise<number>;
}

/**
 * `session-auth GROUP COMMAND …`: the group's help for `--help`, a command's own help for
 * `COMMAND --help`, a usage error for anything else it does not know.
 */
export async function runGroup(group: string, groupHelp: string, commands: Record<string, Subcommand>, argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const names = Object.keys(commands).join(", ");
  if (name === undefined) throw usage(`${group} needs a command: ${names}; see session-auth ${group} --help`);
  if (name === "--help" || name === "-h") {
    io.out(groupHelp);
    return 0;
  }
  const command = commands[name];
  if (command === undefined) throw usage(`unknown ${group} command ${JSON.stringify(name)}; see session-auth ${group} --help`);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(command.help);
    return 0;
  }
  return command.run(rest, env, io);
}

/** `--name value` and `--name=value` pairs and bare `--flag`s, only from the names given. */
export function parseFlags(argv: readonly string[], names: readonly string[], booleans: readonly string[] = []): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw usage(`unexpected argument ${JSON.stringify(arg)}`);
    const equals = arg.indexOf("=");
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    if (booleans.includes(name) && equals === -1) {
      flags.set(name, "true");
      continue;
    }
    if (!names.includes(name)) throw usage(`unknown option --${name}`);
    const value = equals !== -1 ? arg.slice(equals + 1) : argv[++i];
    // `--email --password pw` is a missing email, not the email "--password"; a value that
    // starts with -- is given as --name=value.
    if (value === undefined || (equals === -1 && value.startsWith("--"))) throw usage(`--${name} needs a value`);
    flags.set(name, value);
  }
  return flags;
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
  return `${[header, ...rows].map(line).join("\n")}\n`;
}

/** 42s, 5m, 3h, 2d: how long ago, roughly. */
export function formatAge(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** The configuration, with the data folder checked before anything is written to it. */
export function writableConfig(env: Env): Config {
  const config = loadConfig(env);
  if (usesDataDir(config)) checkDataDir(config.dataDir);
  return config;
}

/** The configuration, for commands that only read: a missing data folder is an error, not an empty list. */
export function readableConfig(env: Env): Config {
  const config = loadConfig(env);
  if (usesDataDir(config)) checkReadableDataDir(config.dataDir);
  return config;
}

/** "1 session", "3 sessions". */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * The user named by --email or --id (exactly one of them). Files from the original program may
 * hold several users with one email: then --email names none of them, and the message says
 * which ids to use.
 */
export async function findUser(users: UserStore, flags: Map<string, string>): Promise<UserRecord> {
  const email = flags.get("email");
  const id = flags.get("id");
  if ((email === undefined) === (id === undefined)) throw usage("name the user with --email EMAIL or --id ID");
  if (id !== undefined) {
    const user = await users.get(id);
    if (!user) throw failure(`no user with id ${id}`);
    return user;
  }
  const found = await users.search({ email: email! });
  if (found.length > 1) throw failure(`${found.length} users have email ${email}: ${found.map((user) => user.id).join(", ")}; name one with --id`);
  if (found.length === 0) throw failure(`no user with email ${email}`);
  return found[0]!;
}

/** Emails that several users share (files from the original program), each with those users' ids. */
export function emailClashes(users: readonly UserRecord[]): Map<string, string[]> {
  const byEmail = new Map<string, string[]>();
  for (const user of users) {
    if (user.email === null) continue;
    const email = String(foldEmail(user.email));
    const ids = byEmail.get(email);
    if (ids) ids.push(user.id);
    else byEmail.set(email, [user.id]);
  }
  for (const [email, ids] of byEmail) if (ids.length < 2) byEmail.delete(email);
  return byEmail;
}

/**
 * Opens the stores (JSON files, PostgreSQL, Redis), runs `work`, and closes them whatever
 * happens. With sessions, a short-lived command leaves compaction of that large file to the server.
 */
export async function withStores<T>(config: Config, withSessions: boolean, work: (stores: Stores) => Promise<T>): Promise<T> {
  const stores = openStores(config, withSessions);
  try {
    return await work(stores);
  } finally {
    await stores.close(withSessions ? { compact: false } : {});
  }
}

export function withUsers<T>(config: Config, work: (users: UserStore) => Promise<T>): Promise<T> {
  return withStores(config, false, (stores) => work(stores.users));
}

export function withSessions<T>(config: Config, work: (sessions: SessionStore) => Promise<T>): Promise<T> {
  return withStores(config, true, (stores) => work(stores.sessions!));
}

/** The stored sessions as the server keeps them: through the one Sessions service, under the expiry settings given here. */
export function withSessionService<T>(config: Config, work: (sessions: Sessions, users: UserStore) => Promise<T>): Promise<T> {
  return withStores(config, true, (stores) => work(new Sessions(stores.sessions!, stores.users, sessionPolicy(config), systemClock), stores.users));
}

/** Reads a password from the flag, or stdin / a prompt; refuses an empty one, and one shorter than PASSWORD_MIN_LENGTH. */
export async function readPassword(flags: Map<string, string>, io: CliIo, minLength: number, prompt = "Password: "): Promise<string> {
  const password = flags.get("password") ?? (await io.readSecret(prompt));
  if (!password) throw usage("the password must not be empty");
  const problem = passwordProblem(password, minLength);
  if (problem !== null) throw failure(problem);
  return password;
}
