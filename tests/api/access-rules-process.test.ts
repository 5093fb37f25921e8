/** ACCESS_RULES in a running server process: a bad file at start-up, SIGHUP, a bad new version. */
import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SOURCE_COMMAND, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { tempDir } from "../helpers.ts";

const rules = (policy: string) => JSON.stringify({ default_policy: "deny", rules: [{ hosts: ["app.example.test"], policy }] });

test("a bad rules file stops start-up with one line naming the file, the rule and the field: exit 2", () => {
  const dir = tempDir();
  const file = join(dir, "rules.yaml");
  writeFileSync(file, "rules:\n  - hosts: [app.example.test]\n    networks: [10.0.0.0/40]\n    policy: bypass\n");
  const result = Bun.spawnSync([...SOURCE_COMMAND], { env: { PATH: process.env.PATH ?? "", API_HOST: "127.0.0.1", API_PORT: "0", DATA_DIR: dir, AUTH_TYPE: "session_auth", ACCESS_RULES: file }, stdout: "pipe", stderr: "pipe", timeout: 5000 });
  expect(result.exitCode).toBe(2);
  const lines = result.stderr.toString().trimEnd().split("\n");
  expect(lines).toEqual([`session-auth: ACCESS_RULES ${file}: rule #1, networks[0]: "10.0.0.0/40" is not an IPv4 or IPv6 network such as 10.0.0.0/8, 192.168.1.7 or 2001:db8::/32`]);
});

test("SIGHUP reloads the file; a bad new version keeps the rules in force and says why on standard error", async () => {
  const dir = tempDir();
  const file = join(dir, "rules.yaml");
  writeFileSync(file, rules("bypass"));
  const server = await spawnServer(SOURCE_COMMAND, { DATA_DIR: dir, AUTH_TYPE: "session_auth", ACCESS_RULES: file });
  try {
    const status = async () => (await fetch(`${server.base}/api/v1/auth/verify`, { headers: { "X-Original-URL": "http://app.example.test/" } })).status;
    const until = async (expected: number) => {
      for (let i = 0; i < 50 && (await status()) !== expected; i++) await Bun.sleep(100);
      return status();
    };
    expect(await status()).toBe(200);
    writeFileSync(file, rules("deny"));
    server.process.kill("SIGHUP");
    expect(await until(403)).toBe(403);
    writeFileSync(file, rules("one factor"));
    server.process.kill("SIGHUP");
    await Bun.sleep(500);
    expect(await status()).toBe(403);
  } finally {
    server.process.kill("SIGTERM");
    await server.process.exited;
  }
  const stderr = await new Response(server.process.stderr as ReadableStream).text();
  expect(stderr).toContain(`access rules not reloaded (SIGHUP): ${file}: rule #1, policy: must be one of deny, bypass, one_factor, two_factor, not "one factor"`);
});
