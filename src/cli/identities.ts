/** `session-auth identities …`: the accounts' links to sign-in providers; list them, unlink one. */
import type { Env } from "../config.ts";
import { identityJson } from "../domain/identity.ts";
import { type CliIo, failure, findUser, formatTable, parseFlags, plural, readableConfig, runGroup, type Subcommand, usage, withStores, writableConfig } from "./common.ts";

export const IDENTITIES_HELP = `Usage: session-auth identities COMMAND [OPTIONS]

  list [--email EMAIL | --id ID] [--json]
                        the identities at sign-in providers linked to accounts (all, or one user's):
                        link id, user, provider, issuer, subject, email, when linked
  unlink --link LINK_ID
                        remove one link: that identity no longer signs in to the account (its next
                        sign-in is a first one again, under the provider's rules)

Links are made by signing in with a provider (OIDC_PROVIDERS); they live in
.db_UserIdentity.json (or PostgreSQL's user_identities table).
`;

const IDENTITIES_COMMANDS: Record<string, Subcommand> = {
  list: { help: "Usage: session-auth identities list [--email EMAIL | --id ID] [--json]\n\nLists the identities linked to accounts, or to one user's.\n", run: list },
  unlink: { help: "Usage: session-auth identities unlink --link LINK_ID\n\nRemoves one link (its id is in identities list); the user's sessions stand.\n", run: unlink },
};

export function identitiesCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  return runGroup("identities", IDENTITIES_HELP, IDENTITIES_COMMANDS, argv, env, io);
}

async function list(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["email", "id"], ["json"]);
  const config = readableConfig(env);
  const rows = await withStores(config, false, async (stores) => {
    const only = flags.has("email") || flags.has("id") ? await findUser(stores.users, flags) : null;
    const links = await stores.identities().search(only === null ? {} : { user_id: only.id });
    const emails = new Map<string, string | null>();
    for (const link of links) if (!emails.has(link.user_id)) emails.set(link.user_id, (await stores.users.get(link.user_id))?.email ?? null);
    return links
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))
      .map((link) => ({ ...identityJson(link), user_id: link.user_id, user_email: emails.get(link.user_id) ?? null }));
  });
  if (flags.has("json")) {
    io.out(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  io.out(formatTable(["LINK", "USER", "PROVIDER", "SUBJECT", "EMAIL", "LINKED"], rows.map((row) => [row.id, row.user_email ?? row.user_id, row.provider, row.subject, row.email ?? "", row.linked_at])));
  io.err(`session-auth: ${plural(rows.length, "link")}\n`);
  return 0;
}

async function unlink(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["link"]);
  const id = flags.get("link");
  if (!id) throw usage("name the link with --link LINK_ID (see session-auth identities list)");
  const config = writableConfig(env);
  const removed = await withStores(config, false, (stores) => stores.identities().remove(id));
  if (!removed) throw failure(`no link with id ${id}`);
  io.out(`unlinked ${id}\n`);
  return 0;
}
