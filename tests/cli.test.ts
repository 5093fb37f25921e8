import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type CliIo, formatTable, parseFlags, runCli, USAGE, VERSION } from "../src/cli.ts";
import { tempDir } from "./helpers.ts";

function io(secret = "") {
  const captured = { out: "", err: "", prompts: 0 };
  const cliIo: CliIo = {
    out: (text) => void (captured.out += text),
    err: (text) => void (captured.err += text),
    readSecret: async () => {
      captured.prompts += 1;
      return secret;
    },
  };
  return { captured, cliIo };
}

describe("runCli", () => {
  test("--help and --version", async () => {
    const help = io();
    expect(await runCli(["--help"], {}, help.cliIo)).toBe(0);
    expect(help.captured.out).toBe(USAGE);
    expect(USAGE).toContain("users create");
    const version = io();
    expect(await runCli(["--version"], {}, version.cliIo)).toBe(0);
    expect(version.captured.out).toBe(`session-auth ${VERSION}\n`);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("users create prints the id; users list shows the user; the password is stored hashed", async () => {
    const dir = tempDir();
    const create = io();
    expect(await runCli(["users", "create", "--email", "bob@hbtn.io", "--password", "H0lbertonSchool98!", "--first-name", "Bob"], { DATA_DIR: dir }, create.cliIo)).toBe(0);
    const id = create.captured.out.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(create.captured.prompts).toBe(0);
    const file = readFileSync(join(dir, ".db_User.json"), "utf8");
    expect(file).not.toContain("H0lbertonSchool98!");
    expect(JSON.parse(file)[id]).toMatchObject({ email: "bob@hbtn.io", first_name: "Bob", last_name: null });

    const list = io();
    expect(await runCli(["users", "list"], { DATA_DIR: dir }, list.cliIo)).toBe(0);
    expect(list.captured.out).toContain(id);
    expect(list.captured.out).toContain("bob@hbtn.io");
    expect(list.captured.out).not.toContain("argon2");
  });

  test("without --password the password is read (stdin or prompt), never echoed", async () => {
    const dir = tempDir();
    const create = io("from stdin");
    expect(await runCli(["users", "create", "--email=a@b.c"], { DATA_DIR: dir }, create.cliIo)).toBe(0);
    expect(create.captured.prompts).toBe(1);
    expect(create.captured.out + create.captured.err).not.toContain("from stdin");
  });

  test("a duplicate email fails with exit 1", async () => {
    const dir = tempDir();
    expect(await runCli(["users", "create", "--email", "a@b.c", "--password", "x"], { DATA_DIR: dir }, io().cliIo)).toBe(0);
    const again = io();
    expect(await runCli(["users", "create", "--email", "a@b.c", "--password", "y"], { DATA_DIR: dir }, again.cliIo)).toBe(1);
    expect(again.captured.err).toContain("already exists");
  });

  const usage: string[][] = [["nope"], ["users"], ["users", "frobnicate"], ["users", "create"], ["users", "create", "--email"], ["users", "create", "--email", "a", "--colour", "red"], ["users", "create", "stray"], ["serve", "extra"], ["users", "create", "--email", "a@b.c"]];
  for (const argv of usage) {
    test(`usage error for ${JSON.stringify(argv)} → exit 2`, async () => {
      const run = io("");
      expect(await runCli(argv, { DATA_DIR: tempDir() }, run.cliIo)).toBe(2);
      expect(run.captured.err).toStartWith("session-auth: ");
    });
  }

  test("a bad environment is a usage error too", async () => {
    const run = io();
    expect(await runCli(["users", "list"], { AUTH_TYPE: "magic", DATA_DIR: tempDir() }, run.cliIo)).toBe(2);
    expect(run.captured.err).toContain("AUTH_TYPE");
  });
});

test("parseFlags and formatTable", () => {
  expect(Object.fromEntries(parseFlags(["--a", "1", "--b=2=3"], ["a", "b"]))).toEqual({ a: "1", b: "2=3" });
  expect(formatTable(["A", "BB"], [["xyz", "1"]])).toBe("A    BB\nxyz  1\n");
});
