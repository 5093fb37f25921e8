import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { tempDir } from "../helpers.ts";
import { captureIo } from "./io.ts";

async function cli(dir: string, argv: string[], env: Record<string, string> = {}) {
  const run = captureIo();
  const code = await runCli(argv, { DATA_DIR: dir, ...env }, run.io);
  return { code, ...run.captured };
}

async function setUp() {
  const dir = tempDir();
  const file = join(dir, "rules.yaml");
  writeFileSync(
    file,
    `default_policy: deny
rules:
  - paths: [/api/health]
    policy: bypass
  - hosts: [admin.example.com]
    subjects: [user:ann@example.com]
    policy: two_factor
  - hosts: ["*.example.com"]
    networks: [10.0.0.0/8]
    methods: [GET]
    policy: one_factor
`,
  );
  expect((await cli(dir, ["users", "create", "--email", "ann@example.com", "--password", "pw-secret"])).code).toBe(0);
  return { dir, file, env: { ACCESS_RULES: file } };
}

test("rules check prints the decision and the rule that made it, without a server", async () => {
  const { dir, env } = await setUp();
  const bypass = await cli(dir, ["rules", "check", "--host", "Wiki.Example.com:443", "--path", "/x/../api/health?full=1"], env);
  expect(bypass.code).toBe(0);
  expect(bypass.out).toBe("request: GET wiki.example.com/api/health, nobody signed in\npolicy:  bypass\nrule:    #1 (paths: /api/health; policy: bypass)\nverify:  200 without identity headers, whoever asks\n");
  const admin = await cli(dir, ["rules", "check", "--host", "admin.example.com", "--path", "/", "--user", "Ann@Example.com"], env);
  expect(admin.out).toContain("policy:  two_factor\nrule:    #2 (hosts: admin.example.com; subjects: user:ann@example.com; policy: two_factor)\n");
  const anonymous = await cli(dir, ["rules", "check", "--host", "admin.example.com", "--path", "/"], env);
  expect(anonymous.out).toContain("verify:  401 (a browser: the login page): the rule names users or groups, so a login comes first");
  const network = await cli(dir, ["rules", "check", "--host", "a.example.com", "--path", "/", "--ip", "10.1.2.3", "--method", "get"], env);
  expect(network.out).toContain("request: GET a.example.com/ from 10.1.2.3, nobody signed in\npolicy:  one_factor\nrule:    #3 (hosts: *.example.com; methods: GET; networks: 10.0.0.0/8; policy: one_factor)\n");
  const outside = await cli(dir, ["rules", "check", "--host", "a.example.com", "--path", "/", "--ip", "192.0.2.1"], env);
  expect(outside.out).toContain("policy:  deny\nrule:    none matched: default_policy\nverify:  403, whoever asks\n");
});

test("rules check: --file instead of ACCESS_RULES; a bad file, a missing flag, an unknown user, a bad address", async () => {
  const { dir, file } = await setUp();
  expect((await cli(dir, ["rules", "check", "--host", "a.example.com", "--path", "/", "--file", file])).code).toBe(0);
  const none = await cli(dir, ["rules", "check", "--host", "a.example.com", "--path", "/"]);
  expect([none.code, none.err]).toEqual([2, "session-auth: no rules file: set ACCESS_RULES or give --file FILE\n"]);
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ rules: [{ policy: "deny", host: ["a"] }] }));
  const refused = await cli(dir, ["rules", "check", "--host", "a", "--path", "/", "--file", bad]);
  expect([refused.code, refused.err]).toEqual([2, `session-auth: ${bad}: rule #1, host: unknown key (a rule has hosts, paths, methods, networks, subjects, policy)\n`]);
  expect((await cli(dir, ["rules", "check", "--path", "/", "--file", file])).code).toBe(2);
  const unknown = await cli(dir, ["rules", "check", "--host", "a", "--path", "/", "--user", "zed@example.com"], { ACCESS_RULES: file });
  expect([unknown.code, unknown.err]).toEqual([1, "session-auth: no user with email zed@example.com\n"]);
  expect((await cli(dir, ["rules", "check", "--host", "a", "--path", "/", "--ip", "10.0.0.300", "--file", file])).code).toBe(2);
});
