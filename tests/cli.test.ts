import { describe, expect, test } from "bun:test";
import { runCli, USAGE, VERSION } from "../src/cli.ts";
import { COMMANDS as COMPLETION_COMMANDS } from "../src/cli/completion.ts";
import { captureIo } from "./cli/io.ts";
import { tempDir } from "./helpers.ts";

describe("runCli", () => {
  test("--help and --version", async () => {
    const help = captureIo();
    expect(await runCli(["--help"], {}, help.io)).toBe(0);
    expect(help.captured.out).toBe(USAGE);
    for (const name of ["users COMMAND", "sessions COMMAND", "LOG_FORMAT", "PASSWORD_MIN_LENGTH", "Exit codes"]) expect(USAGE).toContain(name);
    const version = captureIo();
    expect(await runCli(["--version"], {}, version.io)).toBe(0);
    expect(version.captured.out).toBe(`session-auth ${VERSION}\n`);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  const helps: [string[], string][] = [
    [["help", "users"], "session-auth users COMMAND"],
    [["users", "--help"], "session-auth users COMMAND"],
    [["users", "create", "--help"], "users create --email EMAIL"],
    [["users", "list", "-h"], "users list"],
    [["users", "show", "--help"], "users show"],
    [["users", "delete", "--help"], "users delete"],
    [["users", "passwd", "--help"], "users passwd"],
    [["sessions", "--help"], "session-auth sessions COMMAND"],
    [["sessions", "list", "--help"], "sessions list"],
    [["sessions", "revoke", "--help"], "sessions revoke"],
    [["sessions", "purge", "--help"], "sessions purge"],
    [["serve", "--help"], "session-auth [serve]"],
    [["users", "update", "--help"], "users update"],
    [["users", "unlock", "--help"], "users unlock"],
    [["users", "totp-reset", "--help"], "users totp-reset"],
    [["migrate", "--help"], "session-auth migrate"],
    [["help", "migrate"], "session-auth migrate"],
    [["completion", "--help"], "session-auth completion bash"],
    [["completion", "bash", "--help"], "session-auth completion bash"],
    [["help", "completion"], "session-auth completion bash"],
  ];
  for (const [argv, expected] of helps) {
    test(`${argv.join(" ")} prints its help, exit 0`, async () => {
      const run = captureIo();
      expect(await runCli(argv, { DATA_DIR: tempDir() }, run.io)).toBe(0);
      expect(run.captured.out).toContain(expected);
    });
  }

  const usage: string[][] = [
    ["nope"],
    ["users"],
    ["users", "frobnicate"],
    ["users", "create"],
    ["users", "create", "--email"],
    ["users", "create", "--email", "a", "--colour", "red"],
    ["users", "create", "stray"],
    ["users", "create", "--email", "a@b.c"],
    ["users", "show"],
    ["users", "show", "--email", "a", "--id", "b"],
    ["sessions"],
    ["sessions", "revoke"],
    ["sessions", "zap"],
    ["serve", "extra"],
  ];
  for (const argv of usage) {
    test(`usage error for ${JSON.stringify(argv)} → exit 2 and one line`, async () => {
      const run = captureIo("");
      expect(await runCli(argv, { DATA_DIR: tempDir() }, run.io)).toBe(2);
      expect(run.captured.err).toStartWith("session-auth: ");
      expect(run.captured.err.trimEnd().split("\n")).toHaveLength(1);
    });
  }

  const badEnv: [Record<string, string>, string][] = [
    [{ AUTH_TYPE: "magic" }, "AUTH_TYPE"],
    [{ API_PORT: "port" }, "API_PORT"],
    [{ DATA_DIR: "/nonexistent/session-auth" }, "DATA_DIR"],
  ];
  for (const [env, name] of badEnv) {
    test(`a bad ${name} is a configuration error: exit 2, one line`, async () => {
      const run = captureIo();
      expect(await runCli(["users", "create", "--email", "a@b.c", "--password", "x"], { DATA_DIR: tempDir(), ...env }, run.io)).toBe(2);
      expect(run.captured.err).toContain(name);
      expect(run.captured.err.trimEnd().split("\n")).toHaveLength(1);
    });
  }
});

test("completion bash prints a script bash accepts, which completes commands, subcommands and flags", async () => {
  const run = captureIo();
  expect(await runCli(["completion", "bash"], {}, run.io)).toBe(0);
  const script = run.captured.out;
  const complete = (line: string) => {
    const words = line.split(" ");
    const result = Bun.spawnSync(["bash", "-c", `${script}\nCOMP_WORDS=(${words.map((w) => `"${w}"`).join(" ")}); COMP_CWORD=${words.length - 1}; _session_auth; echo "\${COMPREPLY[*]}"`]);
    expect(result.exitCode).toBe(0);
    return result.stdout.toString().trim().split(" ");
  };
  expect(complete("session-auth us")).toEqual(["users"]);
  expect(complete("session-auth users pa")).toEqual(["passwd", "passkey-remove"]);
  expect(complete("session-auth sessions list --j")).toEqual(["--json"]);
  expect(complete("session-auth users create --first")).toEqual(["--first-name"]);
  expect(await runCli(["completion", "zsh"], {}, captureIo().io)).toBe(2);
});

describe("every command and every flag", () => {
  test("every command completion knows answers --help with its own help, exit 0", async () => {
    for (const [command, subcommands] of Object.entries(COMPLETION_COMMANDS)) {
      for (const sub of Object.keys(subcommands)) {
        const argv = [command, ...(sub === "" ? [] : [sub]), "--help"];
        const run = captureIo();
        expect([argv.join(" "), await runCli(argv, { DATA_DIR: tempDir() }, run.io)]).toEqual([argv.join(" "), 0]);
        expect(run.captured.out).toContain("Usage");
      }
    }
  });

  test("completion offers every flag that a command's help names, and no other", async () => {
    for (const [command, subcommands] of Object.entries(COMPLETION_COMMANDS)) {
      // serve takes no flags; its help is the whole usage.
      if (command === "help" || command === "serve") continue;
      for (const [sub, flags] of Object.entries(subcommands)) {
        const argv = [command, ...(sub === "" ? [] : [sub]), "--help"];
        const run = captureIo();
        await runCli(argv, { DATA_DIR: tempDir() }, run.io);
        const named = [...new Set(run.captured.out.match(/--[a-z][a-z-]*/g) ?? [])].filter((flag) => flag !== "--help").sort();
        const offered = flags.split(" ").filter((flag) => flag !== "" && flag !== "--help").sort();
        expect([argv.join(" "), offered]).toEqual([argv.join(" "), named]);
      }
    }
  });
});
