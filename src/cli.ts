/**
 * The command line: `serve` (the default), `users …` and `sessions …`.
 * Exit codes: 0 ok, 1 failed, 2 usage or configuration error.
 */
import pkg from "../package.json" with { type: "json" };
import { ConfigError, detectRuntime, type Env } from "./config.ts";
import { type CliIo, CliError, usage } from "./cli/common.ts";
import { dotenvPaths, withDotenv } from "./dotenv.ts";
import { StoreLoadError } from "./storage/record-store.ts";

export type { CliIo } from "./cli/common.ts";
export { formatTable, parseFlags } from "./cli/common.ts";

export const VERSION: string = pkg.version;

export const USAGE = `session-auth ${VERSION}: a user-account REST API with Basic and session authentication

Usage:
  session-auth [serve]                 start the server (configured by environment variables)
  session-auth users COMMAND           create, list, show, update, delete, passwd, unlock (see users --help)
  session-auth sessions COMMAND        list, revoke, purge stored sessions (see sessions --help)
  session-auth identities COMMAND      list, unlink accounts' links to sign-in providers
  session-auth rules check --host H --path P [--method M] [--user E] [--ip A]
                                       what the access rules decide for a request (see rules --help)
  session-auth migrate --to postgres://…
                                       copy the JSON files' users and sessions into PostgreSQL
  session-auth healthcheck            exit 0 when the server at API_HOST:API_PORT is healthy, else 1
  session-auth completion bash         a bash completion script: eval "$(session-auth completion bash)"
  session-auth --help                  this text
  session-auth --version               the version

Environment (.env files are read too: the executable's, then the current folder's, which wins;
the real environment wins over both):
  API_HOST           address to listen on (default 0.0.0.0)
  API_PORT           port (default 5000; 0 picks a free one)
  AUTH_TYPE          unset (no authentication), auth, basic_auth, session_auth,
                     session_exp_auth or session_db_auth
  USERS_API          open (default: any signed-in user manages users) or admin (only admins)
  ALLOWED_ORIGINS    origins besides this server's whose pages may log in and post here
  SESSION_NAME       session cookie name (default _my_session_id)
  SESSION_DURATION   session lifetime in seconds for session_exp_auth / session_db_auth
                     (unset, <= 0 or not an integer: sessions never expire)
  SESSION_IDLE_TIMEOUT  seconds a session may go unused (unset or 0: no limit)
  DATA_DIR           folder of the .db_*.json files (default: the folder of this executable)
  COOKIE_SECURE      1: mark the session cookie Secure (serve over https)
  COOKIE_DOMAIN      the session cookie's Domain (example.com: one login for its subdomains)
  WEBAUTHN_RP_ID     the domain passkeys are bound to (default: COOKIE_DOMAIN, else the
                     host the browser named)
  ALLOWED_REDIRECT_HOSTS  hosts besides this one (and COOKIE_DOMAIN's) the login page may
                     send a browser back to (/?rd=…), comma-separated
  FORWARD_AUTH_LOGIN_URL  where /api/v1/auth/verify sends a browser that is not signed in
  ACCESS_RULES       a rules file (YAML or JSON) deciding verify's answer per host, path, method,
                     network, user and group (SIGHUP or a change of the file reloads it)
  MAX_BODY_BYTES     largest request body accepted (default 65536)
  TRUST_PROXY        1: client address and https from X-Forwarded-For / X-Forwarded-Proto
  REUSE_PORT         1: instances on PostgreSQL share API_PORT (not with in-memory sessions)
  LOGIN_MAX_FAILURES_PER_CLIENT   failed logins per client address per window (default 100)
  LOGIN_MAX_FAILURES_PER_ACCOUNT  failed logins per account per window (default 10)
  LOGIN_THROTTLE_WINDOW           the window, in seconds (default 900)
  PASSWORD_MIN_LENGTH  shortest password accepted when one is set, in characters (default 8)
  LOG_FORMAT         text (default) or json: one JSON object per log line
  DATABASE_URL       postgres://…: users (and sessions) in PostgreSQL instead of the JSON files
  DATABASE_SCHEMA    the PostgreSQL schema to use (default public)
  REDIS_URL          redis://…: session_db_auth sessions in Redis
  REDIS_PREFIX       prefix of the Redis keys (default session-auth:)
  STORE_TIMEOUT_MS   time limit of a PostgreSQL or Redis call, or of a sign-in provider's (default 3000)
  PUBLIC_URL         the address browsers use for this server (https://auth.example.com)
  OIDC_PROVIDERS     sign-in providers' names, comma-separated (lowercase), each with:
  OIDC_<NAME>_ISSUER         the provider's issuer URL, or github for GitHub
  OIDC_<NAME>_CLIENT_ID      the client registered with it
  OIDC_<NAME>_CLIENT_SECRET  its secret
  OIDC_<NAME>_SCOPES         scopes asked for (default openid email profile)
  OIDC_<NAME>_LABEL          the button's "Sign in with <label>" (default the name)
  OIDC_<NAME>_CREATE_USERS   1: a first sign-in creates a user
  OIDC_<NAME>_ALLOWED_DOMAINS  new users' email domains, comma-separated (default any)
  OIDC_<NAME>_ALLOWED_GROUPS   new users' groups claim, one of these (default any)
  OIDC_<NAME>_LINK_BY_EMAIL  1: a first sign-in links the account with its verified email
  OIDC_<NAME>_API_URL        GitHub's API (default https://api.github.com)
  TOTP_ISSUER        the name authenticator apps show for one-time codes (default session-auth)
  SECRET_KEY         64 hex characters (openssl rand -hex 32): the key that encrypts TOTP
                     secrets (default: .totp.key in DATA_DIR, made on first use)
  METRICS            1: Prometheus metrics at /metrics on API_PORT (default off)
  METRICS_LISTEN     HOST:PORT: the metrics there only, not on API_PORT (127.0.0.1:9959)
  AUDIT_LOG          file the audit trail is appended to (reopened on SIGHUP; default:
                     standard output; the command line records its changes only there)
  JOURNAL_COMPACT_BYTES  journal size from which it is folded into its data file (default 1048576)
  LIVE_DATA_FILE_BYTES   data files up to this size are rewritten within a second of a change
                         (default 4194304; 0: only by JOURNAL_COMPACT_BYTES)

Exit codes: 0 ok, 1 failed, 2 usage or configuration error.
`;

/** Starts the server with these settings and keeps it running (src/serve.ts). */
export type Serve = (env: Env) => void;

/**
 * Runs a command; resolves with its exit code, or null when it started the server. The server
 * is handed in by the entry point, so that the commands load none of it.
 */
export async function runCli(argv: readonly string[], env: Env, io: CliIo = processIo, serve?: Serve): Promise<number | null> {
  try {
    return await dispatch(argv, env, io, serve);
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

async function dispatch(argv: readonly string[], rawEnv: Env, io: CliIo, serve: Serve | undefined): Promise<number | null> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    const topic = rest[0];
    io.out(topic === "users" ? users().USERS_HELP : topic === "sessions" ? sessions().SESSIONS_HELP : topic === "identities" ? identities().IDENTITIES_HELP : topic === "migrate" ? migrate().MIGRATE_HELP : topic === "rules" ? rules().RULES_HELP : topic === "healthcheck" ? healthcheck().HEALTHCHECK_HELP : topic === "completion" ? completion().COMPLETION_HELP : USAGE);
    return 0;
  }
  if (command === "--version" || command === "-v" || command === "version") {
    io.out(`session-auth ${VERSION}\n`);
    return 0;
  }
  const env = withDotenv(rawEnv, dotenvPaths(detectRuntime()));
  if (command === undefined || command === "serve") {
    if (rest.includes("--help") || rest.includes("-h")) {
      io.out(USAGE);
      return 0;
    }
    if (rest.length > 0) throw usage("serve takes no arguments (configure it with environment variables; see --help)");
    if (!serve) throw new CliError("this build cannot serve", 1);
    serve(env);
    return null;
  }
  if (command === "users") return users().usersCommand(rest, env, io);
  if (command === "sessions") return sessions().sessionsCommand(rest, env, io);
  if (command === "identities") return identities().identitiesCommand(rest, env, io);
  if (command === "migrate") return migrate().migrateCommand(rest, env, io);
  if (command === "rules") return rules().rulesCommand(rest, env, io);
  if (command === "completion") return completion().completionCommand(rest, io);
  if (command === "healthcheck") return healthcheck().healthcheckCommand(rest, env, io);
  throw usage(`unknown command ${JSON.stringify(command)}; see session-auth --help`);
}

// Each command's module is loaded when that command runs: the server's start-up evaluates none
// of them (migrate would bring PostgreSQL's modules along).
const users = () => require("./cli/users.ts") as typeof import("./cli/users.ts");
const sessions = () => require("./cli/sessions.ts") as typeof import("./cli/sessions.ts");
const identities = () => require("./cli/identities.ts") as typeof import("./cli/identities.ts");
const migrate = () => require("./cli/migrate.ts") as typeof import("./cli/migrate.ts");
const rules = () => require("./cli/rules.ts") as typeof import("./cli/rules.ts");
const healthcheck = () => require("./cli/healthcheck.ts") as typeof import("./cli/healthcheck.ts");
const completion = () => require("./cli/completion.ts") as typeof import("./cli/completion.ts");

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  // Only a terminal gets it: a log or a pipe would fill with carriage returns. Looked at when
  // needed: process.stderr costs a start-up that touches it about 15 ms.
  get progress() {
    return process.stderr.isTTY ? (line: string | null) => process.stderr.write(line === null ? "\r\x1b[K" : `\r\x1b[K${line}`) : undefined;
  },
  readSecret: async (prompt) => {
    if (!process.stdin.isTTY) return readAllStdin();
    const first = await promptHidden(prompt);
    if (first === "") return first;
    if ((await promptHidden(`Repeat ${prompt.charAt(0).toLowerCase()}${prompt.slice(1)}`)) !== first) throw new CliError("the two passwords differ", 2);
    return first;
  },
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
    const finish = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n" || char === "\u0004") {
          finish();
          resolve(typed);
          return;
        }
        if (char === "\u0003") {
          finish();
          // Interrupted, as a shell reports it: 128 + SIGINT.
          process.exit(130);
        }
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.on("data", onData);
  });
}
