/** `session-auth completion bash`: a bash completion script for the commands, their subcommands and flags. */
import { type CliIo, usage } from "./common.ts";

export const COMPLETION_HELP = `Usage: session-auth completion bash

Prints a bash completion script for the commands, their subcommands and flags. Load it in the
current shell with: eval "$(session-auth completion bash)"
`;

/** Each command, its subcommands, and the flags each takes (tests check them against each help). */
export const COMMANDS: Record<string, Record<string, string>> = {
  serve: { "": "--help" },
  users: {
    create: "--email --password --first-name --last-name --admin --groups",
    list: "--json",
    show: "--email --id --json",
    update: "--email --id --new-email --first-name --last-name --admin --no-admin --groups --json",
    delete: "--email --id",
    passwd: "--email --id --password",
    unlock: "--email --id",
    "totp-reset": "--email --id",
    "passkey-remove": "--email --id --passkey",
  },
  sessions: { list: "--user --id --json", revoke: "--user --id", purge: "" },
  identities: { list: "--email --id --json", unlink: "--link" },
  migrate: { "": "--to --schema" },
  rules: { check: "--host --path --method --user --ip --file" },
  healthcheck: { "": "--timeout" },
  completion: { bash: "" },
  help: { users: "", sessions: "", identities: "", migrate: "", rules: "", healthcheck: "", completion: "" },
};

export function bashCompletion(): string {
  const cases = Object.entries(COMMANDS)
    .map(([command, subcommands]) => {
      const names = Object.keys(subcommands).filter(Boolean).join(" ");
      const flags = Object.entries(subcommands)
        .map(([name, options]) => `        ${name === "" ? "*" : name}) words="${options}" ;;`)
        .join("\n");
      return `    ${command})
      if [ "$COMP_CWORD" -eq 2 ] && [ -n "${names}" ]; then words="${names}"; else
      case "\${COMP_WORDS[2]}" in
${flags}
        *) words="" ;;
      esac
      fi ;;`;
    })
    .join("\n");
  return `# bash completion for session-auth: eval "$(session-auth completion bash)"
_session_auth() {
  local current=\${COMP_WORDS[COMP_CWORD]} words
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="${Object.keys(COMMANDS).join(" ")} --help --version"
  else
    case "\${COMP_WORDS[1]}" in
${cases}
      *) words="" ;;
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$current"))
}
complete -F _session_auth session-auth
`;
}

export async function completionCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(COMPLETION_HELP);
    return 0;
  }
  if (argv[0] !== "bash" || argv.length > 1) throw usage("completion takes one shell: bash");
  io.out(bashCompletion());
  return 0;
}
