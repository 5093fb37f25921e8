/** `session-auth rules check`: what the access rules decide for a request, without a server. */
import type { Env } from "../config.ts";
import { type AccessRequest, type Decision, describeRule, NEEDS_SUBJECT, type Subject } from "../auth/rules/access-rules.ts";
import { RulesFileError } from "../auth/rules/rules-file.ts";
import { readRulesFile } from "../auth/rules/rules-source.ts";
import { normalizeHost, normalizePath } from "../auth/rules/target.ts";
import { ipAddress } from "../http/client-address.ts";
import { type CliIo, failure, findUser, parseFlags, readableConfig, runGroup, type Subcommand, usage, withStores } from "./common.ts";
import { groupsOf } from "../storage/group-store.ts";

export const RULES_HELP = `Usage: session-auth rules COMMAND [OPTIONS]

  check --host HOST --path PATH [--method METHOD] [--user EMAIL] [--ip ADDRESS] [--file FILE]
                        the decision of the access rules (ACCESS_RULES, or --file) for a
                        request, and the rule that made it; --user looks the user and their
                        groups up in the data, as the server would; without it, nobody is
                        signed in

The file is read and checked as the server reads it: a bad one is reported in one line (exit 2).
`;

const RULES_COMMANDS: Record<string, Subcommand> = {
  check: { help: RULES_HELP, run: check },
};

export function rulesCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  return runGroup("rules", RULES_HELP, RULES_COMMANDS, argv, env, io);
}

/** What verify does about a decision, said for a person. */
function answer(decision: Decision, signedIn: boolean): string {
  if (decision.loginFirst) return "401 (a browser: the login page): the rule names users or groups, so a login comes first; then the rules decide for that user";
  switch (decision.policy) {
    case "bypass":
      return "200 without identity headers, whoever asks";
    case "deny":
      return "403, whoever asks";
    case "one_factor":
      return signedIn ? "200 with the identity headers" : "401 (a browser: the login page)";
    case "two_factor":
      return signedIn ? "200 for a session that passed two factors; a one-factor session gives its second factor on the login page" : "401 (a browser: the login page), then a login with two factors";
  }
}

async function check(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const flags = parseFlags(argv, ["host", "path", "method", "user", "ip", "file"]);
  const host = flags.get("host");
  const path = flags.get("path");
  if (host === undefined || path === undefined) throw usage("rules check needs --host HOST and --path PATH");
  const ip = flags.get("ip");
  if (ip !== undefined && ipAddress(ip) === null) throw usage(`--ip ${JSON.stringify(ip)} is not an IPv4 or IPv6 address`);
  const config = flags.has("file") ? null : readableConfig(env);
  const file = flags.get("file") ?? config?.accessRules ?? null;
  if (file === null) throw usage("no rules file: set ACCESS_RULES or give --file FILE");
  let rules;
  try {
    rules = readRulesFile(file);
  } catch (error) {
    if (error instanceof RulesFileError) throw usage(error.message);
    throw error;
  }
  const request: AccessRequest = {
    host: normalizeHost(host),
    path: normalizePath(path),
    method: (flags.get("method") ?? "GET").toUpperCase(),
    address: ip === undefined ? null : ipAddress(ip),
  };
  const email = flags.get("user");
  let subject: Subject | null = null;
  if (email !== undefined) {
    subject = await withStores(config ?? readableConfig(env), false, async (stores) => {
      const user = await findUser(stores.users, new Map([["email", email]]));
      if (user.email === null) throw failure(`the user ${user.id} has no email`);
      return { email: user.email.trim().toLowerCase(), groups: await groupsOf(stores.groups, user.id) };
    });
  }
  const decision = rules.decide(request, subject);
  if (decision === NEEDS_SUBJECT) throw new Error("unreachable: a subject was given");
  io.out(`request: ${request.method} ${request.host}${request.path}${request.address === null ? "" : ` from ${request.address}`}, ${email === undefined ? "nobody signed in" : `as ${email} (groups: ${subject!.groups.join(", ") || "none"})`}\n`);
  io.out(`policy:  ${decision.policy}\n`);
  io.out(`rule:    ${decision.rule === null ? "none matched: default_policy" : `#${decision.rule} (${describeRule(rules.rule(decision.rule)!)})`}\n`);
  io.out(`verify:  ${answer(decision, subject !== null)}\n`);
  return 0;
}
