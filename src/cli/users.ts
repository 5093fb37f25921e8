/** `session-auth users …`: create, list, show, update, delete, passwd, unlock, totp-reset, passkey-remove. */
import type { Env } from "../config.ts";
import { formatTimestamp, systemClock } from "../domain/base.ts";
import { hashPassword } from "../domain/password.ts";
import { UniqueConstraintError } from "../storage/record-store.ts";
import { boundedKey } from "../auth/throttle.ts";
import { totpEnabled } from "../domain/user-totp.ts";
import { passkeyJson, type PasskeyRecord } from "../domain/passkey.ts";
import type { Stores } from "../storage/stores.ts";
import { parseGroups, storedGroups } from "../domain/user-groups.ts";
import { groupsOf, setGroups } from "../storage/group-store.ts";
import { fieldProblem, isAdmin, isValidEmail, newUser, throttleAccount, toPublicUser, type UserRecord } from "../domain/user.ts";
import { recordCliEvents } from "./audit.ts";
import { type CliIo, emailClashes, failure, findUser, formatTable, parseFlags, plural, readableConfig, readPassword, runGroup, type Subcommand, usage, withSessionService, withStores, withUsers, writableConfig } from "./common.ts";

export const USERS_HELP = `Usage: session-auth users COMMAND [OPTIONS]

  create --email EMAIL [--password PASSWORD] [--first-name NAME] [--last-name NAME] [--admin]
         [--groups a,b]
                      create a user (an admin, with --admin) and print its id
  list [--json]       list the users
  show (--email EMAIL | --id ID) [--json]
                      show one user
  update (--email EMAIL | --id ID) [--new-email EMAIL] [--first-name NAME] [--last-name NAME]
         [--admin | --no-admin] [--groups a,b] [--json]
                      change a user's email or names; grant or withdraw admin; set its
                      groups (for the access rules; --groups "" removes them all)
  delete (--email EMAIL | --id ID)
                      delete a user and all of their stored sessions
  passwd (--email EMAIL | --id ID) [--password PASSWORD]
                      set a new password and end the user's stored sessions
  unlock (--email EMAIL | --id ID)
                      forgive the account's failed logins: it may log in again at once
  passkey-remove (--email EMAIL | --id ID) --passkey PASSKEY_ID
                      remove one of the user's passkeys (users show lists them)
  totp-reset (--email EMAIL | --id ID)
                      remove the user's one-time codes (a lost phone) and end their sessions

Without --password, the password is read from standard input, or asked for without echo on a
terminal, so that it stays out of the shell history. Passwords are never printed.
`;

const USERS_COMMANDS: Record<string, Subcommand> = {
  create: {
    help: "Usage: session-auth users create --email EMAIL [--password PASSWORD] [--first-name NAME] [--last-name NAME] [--admin] [--groups a,b]\n\nCreates a user and prints its id; --admin makes it an admin (who alone manage users under USERS_API=admin); --groups gives it groups, comma-separated, for the access rules. Without --password the password is read from standard input or asked for.\n",
    run: create,
  },
  list: { help: "Usage: session-auth users list [--json]\n\nLists every user: id, email, names, creation time, admin, groups.\n", run: list },
  show: { help: "Usage: session-auth users show (--email EMAIL | --id ID) [--json]\n\nShows one user's public fields, whether it is an admin, its groups, and its second factors.\n", run: show },
  update: {
    help: "Usage: session-auth users update (--email EMAIL | --id ID) [--new-email EMAIL] [--first-name NAME] [--last-name NAME] [--admin | --no-admin] [--groups a,b] [--json]\n\nChanges the named fields of the user and prints it; the others stay as they are. --admin grants admin, --no-admin withdraws it. --groups sets the user's groups, comma-separated (\"\" for none).\n",
    run: update,
  },
  delete: {
    help: "Usage: session-auth users delete (--email EMAIL | --id ID)\n\nDeletes the user and all of their stored (session_db_auth) sessions.\n",
    run: remove,
  },
  passwd: {
    help: "Usage: session-auth users passwd (--email EMAIL | --id ID) [--password PASSWORD]\n\nSets a new password (argon2id) and ends the user's stored sessions. Without --password it is read from standard input or asked for.\n",
    run: passwd,
  },
  "passkey-remove": {
    help: "Usage: session-auth users passkey-remove (--email EMAIL | --id ID) --passkey PASSKEY_ID\n\nRemoves one of the user's passkeys, by the id `users show` lists: for a user who lost the authenticator that holds it. The user's sessions stay.\n",
    run: passkeyRemove,
  },
  "totp-reset": {
    help: "Usage: session-auth users totp-reset (--email EMAIL | --id ID)\n\nRemoves the user's one-time-code factor (on or pending) and its recovery codes, for a user who lost their phone, and ends their stored sessions: they log in again with their password alone, and may turn the factor on again.\n",
    run: totpReset,
  },
  unlock: {
    help: "Usage: session-auth users unlock (--email EMAIL | --id ID)\n\nForgives the account's failed logins (LOGIN_MAX_FAILURES_PER_ACCOUNT), so that it may log in again at once. A running server sees it at its next login attempt, wherever it keeps its counts (memory, PostgreSQL or Redis). The per-client-address counts stay.\n",
    run: unlock,
  },
};

export function usersCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  return runGroup("users", USERS_HELP, USERS_COMMANDS, argv, env, io);
}

async function create(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["email", "password", "first-name", "last-name", "groups"], ["admin"]);
  const email = flags.get("email")?.trim();
  if (!email) throw usage("users create needs --email EMAIL");
  if (!isValidEmail(email)) throw failure(`invalid email ${JSON.stringify(email)}: an address has a name, an @ and a domain`);
  const names = { first_name: flags.get("first-name") ?? null, last_name: flags.get("last-name") ?? null };
  for (const [field, value] of [["email", email], ["first_name", names.first_name], ["last_name", names.last_name]] as const) {
    const problem = value === null ? null : fieldProblem(field, value);
    if (problem !== null) throw failure(problem);
  }
  const groups = groupsFlag(flags);
  // Everything that can fail without the password is checked before it is asked for.
  const config = writableConfig(env);
  if ((await withUsers(config, async (users) => users.search({ email }))).length > 0) throw failure(`a user with email ${email} already exists`);
  const password = await readPassword(flags, io, config.passwordMinLength);
  const user = await newUser({ email, password, ...names, admin: flags.has("admin") }, systemClock);
  await withStores(config, false, async ({ users, groups: groupStore }) => {
    try {
      await users.save(user);
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw failure(`a user with email ${email} already exists`);
      throw error;
    }
    if (groups !== null) await setGroups(groupStore, user.id, groups, systemClock);
  });
  recordCliEvents(config, [["user.created", { user_id: user.id }], ...(flags.has("admin") ? [["admin.granted", { user_id: user.id }] as const] : [])]);
  io.out(`${user.id}\n`);
  return 0;
}

async function list(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, [], ["json"]);
  const { all, withTotp, withPasskey, groupsById } = await withStores(readableConfig(env), false, async (stores) => ({
    all: await stores.users.all(),
    withTotp: new Set((await stores.totp.all()).filter(totpEnabled).map((factor) => factor.id)),
    withPasskey: new Set((await stores.passkeys.all()).map((passkey) => passkey.user_id)),
    groupsById: new Map((await stores.groups.all()).map((record) => [record.id, storedGroups(record)])),
  }));
  const groupsOfUser = (user: UserRecord) => groupsById.get(user.id) ?? [];
  const factorsOf = (user: UserRecord) => [...(withPasskey.has(user.id) ? ["passkey"] : []), ...(withTotp.has(user.id) ? ["totp"] : [])];
  if (flags.has("json")) {
    io.out(`${JSON.stringify(all.map((user) => ({ ...toPublicUser(user), admin: isAdmin(user), groups: groupsOfUser(user), second_factors: factorsOf(user) })), null, 2)}\n`);
    return 0;
  }
  const rows = all.map((u) => [u.id, u.email ?? "", u.first_name ?? "", u.last_name ?? "", u.created_at, isAdmin(u) ? "yes" : "", groupsOfUser(u).join(","), factorsOf(u).join(",")]);
  io.out(formatTable(["ID", "EMAIL", "FIRST NAME", "LAST NAME", "CREATED AT", "ADMIN", "GROUPS", "SECOND FACTOR"], rows));
  for (const [email, ids] of emailClashes(all)) {
    io.err(`session-auth: warning: ${ids.length} users share email ${email}, compared without case (${ids.join(", ")}); none of them can log in until they are told apart: users update --id ID --new-email EMAIL\n`);
  }
  return 0;
}

async function show(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["email", "id"], ["json"]);
  const { user, factors, groups } = await withStores(readableConfig(env), false, async (stores) => {
    const found = await findUser(stores.users, flags);
    return { user: found, factors: await secondFactorsOf(stores, found.id), groups: await groupsOf(stores.groups, found.id) };
  });
  printUser(user, factors, groups, flags.has("json"), io);
  return 0;
}

/** The user's second factors by name, and their passkeys (oldest first). */
async function secondFactorsOf(stores: Pick<Stores, "totp" | "passkeys">, userId: string): Promise<{ names: string[]; passkeys: PasskeyRecord[] }> {
  const passkeys = [...(await stores.passkeys.search({ user_id: userId }))].sort((a, b) => a.created_at.localeCompare(b.created_at));
  const names = [...(passkeys.length > 0 ? ["passkey"] : []), ...(totpEnabled(await stores.totp.get(userId, { fresh: true })) ? ["totp"] : [])];
  return { names, passkeys };
}

/** A user's public fields, whether it is an admin, its groups, second factors and passkeys, as JSON or as FIELD / VALUE and passkey tables. */
function printUser(user: UserRecord, { names, passkeys }: { names: readonly string[]; passkeys: readonly PasskeyRecord[] }, groups: readonly string[], asJson: boolean, io: CliIo): void {
  const shown = toPublicUser(user);
  const listed = passkeys.map(passkeyJson);
  if (asJson) {
    io.out(`${JSON.stringify({ ...shown, admin: isAdmin(user), groups, second_factors: names, passkeys: listed }, null, 2)}\n`);
    return;
  }
  const rows = Object.entries(shown).map(([key, value]) => [key, value === null ? "" : String(value)]);
  rows.push(["admin", isAdmin(user) ? "yes" : "no"], ["groups", groups.join(",") || "none"], ["second factors", names.length > 0 ? names.join(", ") : "none"]);
  io.out(formatTable(["FIELD", "VALUE"], rows));
  if (listed.length > 0) io.out(`\n${formatTable(["PASSKEY ID", "NAME", "CREATED AT", "LAST USED AT"], listed.map((p) => [p.id, p.name, p.created_at, p.last_used_at ?? ""]))}`);
}

async function passkeyRemove(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["email", "id", "passkey"]);
  const passkeyId = flags.get("passkey");
  if (!passkeyId) throw usage("users passkey-remove needs --passkey PASSKEY_ID (users show lists them)");
  const { user, passkey } = await withStores(writableConfig(env), false, async (stores) => {
    const found = await findUser(stores.users, flags);
    const stored = await stores.passkeys.get(passkeyId);
    // Another user's passkey is as unknown as none.
    if (stored === null || stored.user_id !== found.id) throw failure(`user ${found.email ?? found.id} has no passkey ${passkeyId}`);
    if (!(await stores.passkeys.remove(stored.id))) throw failure(`passkey ${passkeyId} was removed meanwhile`);
    return { user: found, passkey: stored };
  });
  io.out(`removed passkey ${passkey.id} (${passkey.name}) of ${user.email ?? user.id}\n`);
  return 0;
}

async function remove(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["email", "id"]);
  const config = writableConfig(env);
  const { user, revoked } = await withStores(config, true, async (stores) => {
    const found = await findUser(stores.users, flags);
    return { user: found, revoked: (await stores.removeUser(found.id)).sessions };
  });
  recordCliEvents(config, [["user.deleted", { user_id: user.id }], ...(revoked > 0 ? [["session.ended", { user_id: user.id, reason: "user_deleted", count: revoked }] as const] : [])]);
  io.out(`deleted user ${user.id} (${user.email}) and ${plural(revoked, "stored session")}\n`);
  return 0;
}

async function update(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["email", "id", "new-email", "first-name", "last-name", "groups"], ["json", "admin", "no-admin"]);
  const changes: Partial<UserRecord> = {};
  for (const [flag, field] of [["new-email", "email"], ["first-name", "first_name"], ["last-name", "last_name"]] as const) {
    const value = field === "email" ? flags.get(flag)?.trim() : flags.get(flag);
    if (value === undefined) continue;
    const problem = fieldProblem(field, value);
    if (problem !== null) throw failure(problem);
    if (field === "email" && !isValidEmail(value)) throw failure(`invalid email ${JSON.stringify(value)}: an address has a name, an @ and a domain`);
    changes[field] = value;
  }
  if (flags.has("admin") && flags.has("no-admin")) throw usage("users update takes --admin or --no-admin, not both");
  if (flags.has("admin")) changes._admin = true;
  if (flags.has("no-admin")) changes._admin = null;
  const newGroups = groupsFlag(flags);
  if (Object.keys(changes).length === 0 && newGroups === null) throw usage("users update needs --new-email, --first-name, --last-name, --admin, --no-admin or --groups");
  const config = writableConfig(env);
  let wasAdmin = false;
  const { updated, factors, groups } = await withStores(config, false, async ({ users, totp, passkeys, groups: groupStore }) => {
    const found = await findUser(users, flags);
    wasAdmin = isAdmin(found);
    try {
      const changed = await users.update(found.id, { ...changes, updated_at: formatTimestamp(Date.now()) });
      if (!changed) throw failure(`user ${found.id} was deleted meanwhile`);
      if (newGroups !== null) await setGroups(groupStore, changed.id, newGroups, systemClock);
      return { updated: changed, factors: await secondFactorsOf({ totp, passkeys }, found.id), groups: newGroups ?? (await groupsOf(groupStore, changed.id)) };
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw failure(`a user with email ${changes.email} already exists`);
      throw error;
    }
  });
  const fields = Object.keys(changes).filter((field) => field !== "_admin");
  const adminChange = isAdmin(updated) === wasAdmin ? [] : [[isAdmin(updated) ? "admin.granted" : "admin.withdrawn", { user_id: updated.id }] as const];
  recordCliEvents(config, [...(fields.length > 0 ? [["user.changed", { user_id: updated.id, fields: fields.join(",") }] as const] : []), ...adminChange]);
  printUser(updated, factors, groups, flags.has("json"), io);
  return 0;
}

async function passwd(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["email", "id", "password"]);
  const config = writableConfig(env);
  // Everything that can fail without the password is checked before it is asked for.
  await withUsers(config, (users) => findUser(users, flags));
  const password = await readPassword(flags, io, config.passwordMinLength, "New password: ");
  // A new password ends the sessions the old one opened (OWASP Session Management), as the API's change does.
  const { user, ended: revoked } = await withSessionService(config, async (sessions, users) => {
    const found = await findUser(users, flags);
    const changed = await sessions.changePassword(found, await hashPassword(password));
    if (!changed) throw failure(`user ${found.id} was deleted meanwhile`);
    return changed;
  });
  recordCliEvents(config, [["password.changed", { user_id: user.id }], ...(revoked > 0 ? [["session.ended", { user_id: user.id, reason: "password_changed", count: revoked }] as const] : [])]);
  io.out(`password changed for ${user.email}; ${plural(revoked, "stored session")} ended; sessions a running server keeps in memory end at their next request\n`);
  return 0;
}

async function unlock(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["email", "id"]);
  const user = await withStores(writableConfig(env), false, async (stores) => {
    const found = await findUser(stores.users, flags);
    // A new name for the account's counts reaches a server that keeps them in its memory; the
    // old counts are cleared too where they are shared (PostgreSQL, Redis).
    const changed = await stores.users.update(found.id, { _unlocked_at: new Date().toISOString() });
    if (!changed) throw failure(`user ${found.id} was deleted meanwhile`);
    await stores.counters.clear("account", boundedKey(throttleAccount(found)));
    return changed;
  });
  io.out(`unlocked ${user.email ?? user.id}: its failed logins no longer count\n`);
  return 0;
}

/** An administrator's reset for a lost phone: the factor goes, and every stored session of the user's ends. */
async function totpReset(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["email", "id"]);
  const { user, removed, ended } = await withStores(writableConfig(env), true, async (stores) => {
    const found = await findUser(stores.users, flags);
    const removed = await stores.totp.remove(found.id);
    return { user: found, removed, ended: stores.sessions ? await stores.sessions.removeByUser(found.id) : 0 };
  });
  if (!removed) throw failure(`${user.email ?? user.id} has no one-time codes`);
  io.out(`one-time codes removed for ${user.email ?? user.id}; ${plural(ended, "stored session")} ended; they log in with their password alone until they turn it on again\n`);
  return 0;
}

/** `--groups a,b` (an empty value: none); null when the flag is not given. */
function groupsFlag(flags: Map<string, string>): readonly string[] | null {
  const value = flags.get("groups");
  if (value === undefined) return null;
  const parsed = parseGroups(value);
  if ("problem" in parsed) throw usage(`--groups: ${parsed.problem}`);
  return parsed.groups;
}
