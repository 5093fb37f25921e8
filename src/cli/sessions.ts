/** `session-auth sessions …`: list, revoke, purge; the sessions stored by session_db_auth. */
import { recordCliEvents } from "./audit.ts";
import type { Config, Env } from "../config.ts";
import { parseTimestamp, systemClock } from "../domain/base.ts";
import { storedLastUse, storedSessionStart, type UserSessionRecord } from "../domain/user-session.ts";
import { storedFactors } from "../sessions/factors.ts";
import { type CliIo, findUser, formatAge, formatTable, parseFlags, plural, readableConfig, runGroup, type Subcommand, usage, withSessions, withSessionService, withUsers, writableConfig } from "./common.ts";

export const SESSIONS_HELP = `Usage: session-auth sessions COMMAND [OPTIONS]

  list [--user EMAIL | --id ID] [--json]
                        stored sessions: user, session id, creation, last use, where from,
                        browser, expiry (never the cookie value or its hash)
  revoke (--user EMAIL | --id ID)
                        end every stored session of a user
  purge                 remove sessions past SESSION_DURATION or idle past SESSION_IDLE_TIMEOUT

These are the sessions session_db_auth keeps in .db_UserSession.json (or PostgreSQL, Redis);
session_auth and session_exp_auth keep theirs in the server's memory, where no command can
reach them. The expiry settings are read as the server reads them: the environment, then the
.env files; list and purge say which values they used. A server started with
SESSION_DURATION or SESSION_IDLE_TIMEOUT on its own command line cannot be asked: where neither
is set for the command, list shows the time left as "?" (null in --json), and purge removes
nothing. Give them as the server has them (0: no limit) to see it.
`;

const SESSIONS_COMMANDS: Record<string, Subcommand> = {
  list: {
    help: "Usage: session-auth sessions list [--user EMAIL | --id ID] [--json]\n\nLists stored sessions with their user, session id (the one the user's page shows, never the cookie), creation, last use, client address, browser and time left.\n",
    run: list,
  },
  revoke: { help: "Usage: session-auth sessions revoke (--user EMAIL | --id ID)\n\nEnds every stored session of the user; their cookies stop working at once.\n", run: revoke },
  purge: { help: "Usage: session-auth sessions purge\n\nRemoves the stored sessions older than SESSION_DURATION seconds, or unused for SESSION_IDLE_TIMEOUT seconds (none when neither is set).\n", run: purge },
};

export function sessionsCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  return runGroup("sessions", SESSIONS_HELP, SESSIONS_COMMANDS, argv, env, io);
}

/** Removes every stored session of a user; returns how many. */
function revokeStoredSessions(config: Config, userId: string): Promise<number> {
  return withSessionService(config, async (sessions) => sessions.endAll(userId));
}

/** `--user EMAIL` or `--id ID`, as findUser reads them. */
function userFlags(flags: Map<string, string>): Map<string, string> {
  const named = new Map<string, string>();
  if (flags.has("user")) named.set("email", flags.get("user")!);
  if (flags.has("id")) named.set("id", flags.get("id")!);
  return named;
}

/**
 * The expiry limits in seconds (0: no limit) as the command's environment and .env give them;
 * null for one they do not give, which a server started with it on its own command line may have.
 */
interface Expiry {
  duration: number | null;
  idle: number | null;
}

function expiryOf(config: Config, env: Env): Expiry {
  const given = (name: string) => env[name] !== undefined && env[name] !== "";
  return { duration: given("SESSION_DURATION") ? config.sessionDuration : null, idle: given("SESSION_IDLE_TIMEOUT") ? config.sessionIdleTimeout : null };
}

/** Neither limit given: how long sessions last cannot be told. */
function expiryUnknown(expiry: Expiry): boolean {
  return expiry.duration === null && expiry.idle === null;
}

/** One line on standard error: the expiry settings a command used, and where they come from; a second when they are unknown. */
function expirySettings(expiry: Expiry, io: CliIo): void {
  const seconds = (value: number | null) => (value === null ? "not set here" : value > 0 ? `${value} s` : "0 (no limit)");
  io.err(`session-auth: expiry: SESSION_DURATION ${seconds(expiry.duration)}, SESSION_IDLE_TIMEOUT ${seconds(expiry.idle)} (from the environment and the .env files, as the server reads them)\n`);
  if (expiryUnknown(expiry)) {
    io.err("session-auth: expiry unknown: neither SESSION_DURATION nor SESSION_IDLE_TIMEOUT is set here, and a server may have them on its own command line; set them as the server has them (0: no limit) to see the time left\n");
  }
}

/**
 * Seconds until a stored session ends by either limit given; Infinity when both are given as no
 * limit; null when the limits given set no end and the other may.
 */
function secondsLeft(expiry: Expiry, record: UserSessionRecord, now: number): number | null {
  const ends: number[] = [];
  if (expiry.duration !== null && expiry.duration > 0) ends.push(storedSessionStart(record) + expiry.duration * 1000);
  if (expiry.idle !== null && expiry.idle > 0) ends.push(storedLastUse(record) + expiry.idle * 1000);
  if (ends.length > 0) return (Math.min(...ends) - now) / 1000;
  return expiry.duration === null || expiry.idle === null ? null : Number.POSITIVE_INFINITY;
}

async function list(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["user", "id"], ["json"]);
  const config = readableConfig(env);
  const { emails, only } = await withUsers(config, async (users) => {
    const named = userFlags(flags);
    const only = named.size > 0 ? await findUser(users, named) : null;
    return { emails: new Map((await users.all()).map((u) => [u.id, u.email ?? ""])), only };
  });
  const now = systemClock();
  const records = await withSessions(config, (sessions) => sessions.list(only?.id));
  const expiry = expiryOf(config, env);
  expirySettings(expiry, io);
  const shown = records.map((record) => {
    const left = secondsLeft(expiry, record, now);
    return {
      id: record.id,
      user_id: record.user_id,
      email: emails.get(record.user_id) ?? null,
      created_at: record.created_at,
      last_used_at: record.last_used_at ?? record.created_at,
      client_address: record.client_address ?? null,
      user_agent: record.user_agent ?? null,
      factors: storedFactors(record.factors),
      expires_in_seconds: left === null || left === Number.POSITIVE_INFINITY ? null : Math.max(0, Math.round(left)),
      // null: not known (see the note on standard error).
      expired: left === null ? null : left <= 0,
    };
  });
  if (flags.has("json")) {
    io.out(`${JSON.stringify(shown, null, 2)}\n`);
    return 0;
  }
  const rows = shown.map((session) => [
    session.email ?? `(deleted user ${session.user_id})`,
    session.id,
    session.created_at,
    formatAge((now - parseTimestamp(session.created_at)) / 1000),
    formatAge((now - parseTimestamp(session.last_used_at)) / 1000),
    session.client_address ?? "",
    session.user_agent ?? "",
    session.expired === null ? "?" : session.expires_in_seconds === null ? "never" : session.expired ? "expired" : formatAge(session.expires_in_seconds),
  ]);
  io.out(formatTable(["USER", "SESSION", "CREATED AT", "AGE", "LAST USED", "FROM", "BROWSER", "EXPIRES IN"], rows));
  return 0;
}

async function revoke(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["user", "id"]);
  const named = userFlags(flags);
  if (named.size === 0) throw usage("sessions revoke needs --user EMAIL or --id ID");
  const config = writableConfig(env);
  const user = await withUsers(config, (users) => findUser(users, named));
  const revoked = await revokeStoredSessions(config, user.id);
  if (revoked > 0) recordCliEvents(config, [["session.ended", { user_id: user.id, reason: "admin", count: revoked }]]);
  io.out(`ended ${plural(revoked, "stored session")} of ${user.email}\n`);
  return 0;
}

async function purge(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  parseFlags(argv, []);
  const config = writableConfig(env);
  const expiry = expiryOf(config, env);
  expirySettings(expiry, io);
  if (expiryUnknown(expiry)) {
    io.out("neither SESSION_DURATION nor SESSION_IDLE_TIMEOUT is set here: none purged\n");
    return 0;
  }
  if (config.sessionDuration <= 0 && config.sessionIdleTimeout <= 0) {
    io.out("the expiry settings here set no limit: none purged\n");
    return 0;
  }
  // The server's sweep, under the settings given here.
  const purged = await withSessionService(config, (sessions) => sessions.sweep());
  if (purged > 0) recordCliEvents(config, [["session.ended", { reason: "expired", count: purged }]]);
  io.out(`purged ${plural(purged, "expired session")}\n`);
  return 0;
}
