/** `session-auth sessions …`: list, revoke, purge; the sessions stored by session_db_auth. */
import type { Config, Env } from "../config.ts";
import { parseTimestamp, systemClock } from "../models/base.ts";
import { storedSessionStart } from "../models/user-session.ts";
import { type CliIo, findUser, formatAge, formatTable, parseFlags, plural, readableConfig, runGroup, type Subcommand, usage, withSessions, withUsers, writableConfig } from "./common.ts";

export const SESSIONS_HELP = `Usage: session-auth sessions COMMAND [OPTIONS]

  list [--user EMAIL]   stored sessions: user, creation time, age, expiry (never the session id)
  revoke --user EMAIL   end every stored session of a user
  purge                 remove expired sessions (by SESSION_DURATION)

These are the sessions session_db_auth keeps in .db_UserSession.json; session_auth and
session_exp_auth keep theirs in the server's memory, where no command can reach them.
`;

const SESSIONS_COMMANDS: Record<string, Subcommand> = {
  list: { help: "Usage: session-auth sessions list [--user EMAIL]\n\nLists stored sessions with their user, creation time, age and time left; never the session id.\n", run: list },
  revoke: { help: "Usage: session-auth sessions revoke --user EMAIL\n\nEnds every stored session of the user; their cookies stop working at once.\n", run: revoke },
  purge: { help: "Usage: session-auth sessions purge\n\nRemoves the stored sessions older than SESSION_DURATION seconds (none when it is unset).\n", run: purge },
};

export function sessionsCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  return runGroup("sessions", SESSIONS_HELP, SESSIONS_COMMANDS, argv, env, io);
}

/** Removes every stored session of a user; returns how many. */
export function revokeStoredSessions(config: Config, userId: string): Promise<number> {
  return withSessions(config, (sessions) => sessions.removeByUser(userId));
}

async function list(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["user"]);
  const config = readableConfig(env);
  const { emails, only } = await withUsers(config, async (users) => {
    const only = flags.has("user") ? await findUser(users, new Map([["email", flags.get("user")!]])) : null;
    return { emails: new Map((await users.all()).map((u) => [u.id, u.email ?? ""])), only };
  });
  const now = systemClock();
  const rows: string[][] = [];
  await withSessions(config, async (sessions) => {
    const records = await sessions.list(only?.id);
    for (const record of records) {
      const left = config.sessionDuration > 0 ? config.sessionDuration - (now - storedSessionStart(record)) / 1000 : Number.POSITIVE_INFINITY;
      rows.push([emails.get(record.user_id) ?? `(deleted user ${record.user_id})`, record.created_at, formatAge((now - parseTimestamp(record.created_at)) / 1000), left === Number.POSITIVE_INFINITY ? "never" : left <= 0 ? "expired" : formatAge(left)]);
    }
  });
  io.out(formatTable(["USER", "CREATED AT", "AGE", "EXPIRES IN"], rows));
  return 0;
}

async function revoke(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["user"]);
  if (!flags.has("user")) throw usage("sessions revoke needs --user EMAIL");
  const config = writableConfig(env);
  const user = await withUsers(config, (users) => findUser(users, new Map([["email", flags.get("user")!]])));
  const revoked = await revokeStoredSessions(config, user.id);
  io.out(`ended ${plural(revoked, "stored session")} of ${user.email}\n`);
  return 0;
}

async function purge(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  parseFlags(argv, []);
  const config = writableConfig(env);
  if (config.sessionDuration <= 0) {
    io.out("SESSION_DURATION is not set: sessions never expire, none purged\n");
    return 0;
  }
  const purged = await withSessions(config, (sessions) => sessions.removeCreatedBefore(systemClock() - config.sessionDuration * 1000));
  io.out(`purged ${plural(purged, "expired session")}\n`);
  return 0;
}
