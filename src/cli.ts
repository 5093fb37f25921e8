/** The command line: `serve` (the default) and the `users` subcommands. Exit codes 0 ok, 1 failed, 2 usage. */
import pkg from "../package.json" with { type: "json" };
import { ConfigError, type Env, loadConfig } from "./config.ts";
import { systemClock } from "./models/base.ts";
import { StoreLoadError, UniqueConstraintError } from "./models/store.ts";
import { newUser, openUserStore } from "./models/user.ts";
import { checkDataDir, startServer, stdioLogger } from "./server.ts";

export const VERSION: string = pkg.version;

export const USAGE = `session-auth ${VERSION}: a user-account REST API with Basic and session authentication

Usage:
  session-auth [serve]                 start the server (configured by environment variables)
  session-auth users create --email EMAIL [--password PASSWORD] [--first-name NAME] [--last-name NAME]
                                       create a user and print its id; without --password the
                                       password is read from standard input (or asked for)
  session-auth users list              list the users
  session-auth --help                  this text
  session-auth --version               the version

Environment:
  API_HOST           address to listen on (default 0.0.0.0)
  API_PORT           port (default 5000; 0 picks a free one)
  AUTH_TYPE          unset (no authentication), auth, basic_auth, session_auth,
                     session_exp_auth or session_db_auth
  SESSION_NAME       session cookie name (default _my_session_id)
  SESSION_DURATION   session lifetime in seconds for session_exp_auth / session_db_auth
                     (unset or <= 0: sessions never expire)
  DATA_DIR           folder of the .db_*.json files (default: the folder of this executable)
  COOKIE_SECURE      1: mark the session cookie Secure (serve over https)
  MAX_BODY_BYTES     largest request body accepted (default 65536)
  TRUST_PROXY        1: client address and https from X-Forwarded-For / X-Forwarded-Proto
  LOGIN_MAX_FAILURES_PER_CLIENT   failed logins per client address per window (default 100)
  LOGIN_MAX_FAILURES_PER_ACCOUNT  failed logins per account per window (default 10)
  LOGIN_THROTTLE_WINDOW           the window, in seconds (default 900)
  JOURNAL_COMPACT_BYTES  journal size from which it is folded into its data file (default 1048576)
`;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads the password when no flag gives it: stdin, or a prompt on a terminal. */
  readSecret(prompt: string): Promise<string>;
}

/** Failures the user can act on: printed as one line. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** Runs a command; resolves with its exit code, or null when it started the server. */
export async function runCli(argv: readonly string[], env: Env, io: CliIo = processIo): Promise<number | null> {
  try {
    return await dispatch(argv, env, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`session-auth: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      io.err(`session-auth: ${error.message}\n`);
      return 2;
    }
    if (error instanceof StoreLoadError) {
      io.err(`session-auth: cannot load data: ${error.message}\n`);
      return 1;
    }
    io.err(`session-auth: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function dispatch(argv: readonly string[], env: Env, io: CliIo): Promise<number | null> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    io.out(USAGE);
    return 0;
  }
  if (command === "--version" || command === "-v" || command === "version") {
    io.out(`session-auth ${VERSION}\n`);
    return 0;
  }
  if (command === undefined || command === "serve") {
    if (rest.length > 0) throw new CliError(`serve takes no arguments (configure it with environment variables; see --help)`, 2);
    serve(env);
    return null;
  }
  if (command === "users") return users(rest, env, io);
  throw new CliError(`unknown command ${JSON.stringify(command)}; see session-auth --help`, 2);
}

function serve(env: Env): void {
  const logger = stdioLogger();
  const running = startServer(loadConfig(env), { logger });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`session-auth stopping (${signal})`);
    await running.stop();
    logger.info("session-auth stopped");
    logger.flush?.();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

async function users(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  const config = loadConfig(env);
  if (subcommand === "create") {
    const flags = parseFlags(rest, ["email", "password", "first-name", "last-name"]);
    const email = flags.get("email");
    if (!email) throw new CliError("users create needs --email EMAIL", 2);
    const password = flags.get("password") ?? (await io.readSecret("Password: "));
    if (!password) throw new CliError("the password must not be empty", 2);
    checkDataDir(config.dataDir);
    const store = openUserStore(config.dataDir);
    const user = await newUser(
      { email, password, first_name: flags.get("first-name") ?? null, last_name: flags.get("last-name") ?? null },
      systemClock,
    );
    try {
      await store.save(user);
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw new CliError(`a user with email ${email} already exists`, 1);
      throw error;
    }
    await store.close();
    io.out(`${user.id}\n`);
    return 0;
  }
  if (subcommand === "list") {
    if (rest.length > 0) throw new CliError("users list takes no arguments", 2);
    const store = openUserStore(config.dataDir);
    const rows = (await store.all()).map((u) => [u.id, u.email ?? "", u.first_name ?? "", u.last_name ?? "", u.created_at]);
    io.out(formatTable(["ID", "EMAIL", "FIRST NAME", "LAST NAME", "CREATED AT"], rows));
    return 0;
  }
  throw new CliError(`users needs a subcommand: create or list; see session-auth --help`, 2);
}

/** `--name value` and `--name=value` pairs, only from the names given. */
export function parseFlags(argv: readonly string[], names: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new CliError(`unexpected argument ${JSON.stringify(arg)}`, 2);
    const equals = arg.indexOf("=");
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    if (!names.includes(name)) throw new CliError(`unknown option --${name}`, 2);
    let value: string | undefined;
    if (equals !== -1) value = arg.slice(equals + 1);
    else value = argv[++i];
    if (value === undefined) throw new CliError(`--${name} needs a value`, 2);
    flags.set(name, value);
  }
  return flags;
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
  return `${[header, ...rows].map(line).join("\n")}\n`;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readSecret: (prompt) => (process.stdin.isTTY ? promptHidden(prompt) : readAllStdin()),
};

async function readAllStdin(): Promise<string> {
  const text = await new Response(Bun.stdin.stream()).text();
  return text.replace(/\r?\n$/, "");
}

/** Reads one line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    const stdin = process.stdin;
    let typed = "";
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n" || char === "\u0004") {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off("data", onData);
          process.stderr.write("\n");
          resolve(typed);
          return;
        }
        if (char === "\u0003") {
          stdin.setRawMode(false);
          process.stderr.write("\n");
          process.exit(1);
        }
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.on("data", onData);
  });
}
