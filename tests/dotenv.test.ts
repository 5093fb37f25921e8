import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../src/config.ts";
import { dotenvPaths, parseDotenv, withDotenv } from "../src/dotenv.ts";
import { SOURCE_COMMAND } from "../scripts/lib/spawn-server.ts";
import { tempDir } from "./helpers.ts";

describe("parseDotenv", () => {
  test("the usual forms", () => {
    const text = [
      "# comment",
      "",
      "AUTH_TYPE=session_auth",
      "export API_PORT = 8080",
      "SESSION_NAME='literal $x # not a comment'",
      'GREETING="a\\tb\\n\\"q\\""',
      "TRAILING=value # comment",
      "EMPTY=",
      "URL=postgres://u:p@h/db?x=1#frag",
    ].join("\n");
    expect(Object.fromEntries(parseDotenv(text))).toEqual({
      AUTH_TYPE: "session_auth",
      API_PORT: "8080",
      SESSION_NAME: "literal $x # not a comment",
      GREETING: 'a\tb\n"q"',
      TRAILING: "value",
      EMPTY: "",
      URL: "postgres://u:p@h/db?x=1#frag",
    });
  });

  const bad: [string, RegExp][] = [
    ["just words", /\.env:1: expected KEY=value/],
    ["OK=1\n1BAD=2", /\.env:2:/],
    ["Q='open", /\.env:1: unterminated/],
    ['Q="a" b', /\.env:1: text after the closing quote/],
  ];
  for (const [text, message] of bad) {
    test(`refuses ${JSON.stringify(text)} naming the line`, () => {
      expect(() => parseDotenv(text)).toThrow(ConfigError);
      expect(() => parseDotenv(text)).toThrow(message);
    });
  }
});

test("the real environment wins over .env; a missing file changes nothing", () => {
  const dir = tempDir();
  writeFileSync(join(dir, ".env"), "AUTH_TYPE=basic_auth\nAPI_PORT=7000\n");
  expect(withDotenv({ AUTH_TYPE: "session_auth" }, join(dir, ".env"))).toEqual({ AUTH_TYPE: "session_auth", API_PORT: "7000" });
  expect(withDotenv({ A: "1" }, join(dir, "missing.env"))).toEqual({ A: "1" });
});

test("the executable reads its own .env, then the current folder's; from source, the current folder's", () => {
  expect(dotenvPaths({ compiled: true, execPath: "/opt/app/session-auth", cwd: "/srv/site" })).toEqual(["/opt/app/.env", "/srv/site/.env"]);
  expect(dotenvPaths({ compiled: true, execPath: "/opt/app/session-auth", cwd: "/opt/app" })).toEqual(["/opt/app/.env"]);
  expect(dotenvPaths({ compiled: false, execPath: "/usr/bin/bun", cwd: "/srv/site" })).toEqual(["/srv/site/.env"]);
});

test("of two .env files the later wins, and the real environment over both", () => {
  const dir = tempDir();
  writeFileSync(join(dir, "first.env"), "AUTH_TYPE=basic_auth\nAPI_PORT=7000\nSESSION_NAME=a\n");
  writeFileSync(join(dir, "second.env"), "AUTH_TYPE=session_auth\nSESSION_NAME=b\n");
  const paths = [join(dir, "first.env"), join(dir, "missing.env"), join(dir, "second.env")];
  expect(withDotenv({ SESSION_NAME: "c" }, paths)).toEqual({ AUTH_TYPE: "session_auth", API_PORT: "7000", SESSION_NAME: "c" });
});

test("the program reads .env (from the current folder when run from source)", async () => {
  const dir = tempDir();
  const data = tempDir();
  writeFileSync(join(dir, ".env"), `DATA_DIR=${data}\n`);
  const create = Bun.spawnSync([...SOURCE_COMMAND, "users", "create", "--email", "a@b.c", "--password", "long enough"], { cwd: dir, env: { PATH: process.env.PATH ?? "" } });
  expect(create.exitCode).toBe(0);
  expect(Bun.file(join(data, ".db_User.json")).size).toBeGreaterThan(0);
  writeFileSync(join(dir, ".env"), "AUTH_TYPE=\"oops\n");
  const broken = Bun.spawnSync([...SOURCE_COMMAND, "users", "list"], { cwd: dir, env: { PATH: process.env.PATH ?? "" }, stderr: "pipe" });
  expect(broken.exitCode).toBe(2);
  expect(broken.stderr.toString()).toContain(".env:1");
});
