import { describe, expect, test } from "bun:test";
import { runCli, USAGE, VERSION } from "../src/cli.ts";
import { captureIo } from "./cli/io.ts";
import { tempDir } from "./helpers.ts";

describe("runCli", () => {
  test("--help and --version", async () => {
    const help = captureIo();
    expect(await runCli(["--help"], {}, help.io)).toBe(0);
    expect(help.captured.out).toBe(USAGE);
    for (const name of ["users COMMAND", "sessions COMMAND", "LOG_FORMAT", "Exit codes"]) expect(USAGE).toContain(name);
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
  expect(complete("session-auth users pa")).toEqual(["passwd"]);
  expect(complete("session-auth sessions list --j")).toEqual(["--json"]);
  expect(complete("session-auth users create --first")).toEqual(["--first-name"]);
  expect(await runCli(["completion", "zsh"], {}, captureIo().io)).toBe(2);
});
