/**
 * The deployment examples: the systemd unit passes `systemd-analyze verify`, and the compose
 * file's nginx configuration is examples/nginx.conf (the one the e2e tests run) filled in for
 * the compose set-up, which nginx accepts.
 */
import { expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fillExample, NGINX } from "../../scripts/lib/proxies.ts";
import { ROOT } from "../../scripts/lib/spawn-server.ts";
import { tempDir } from "../helpers.ts";

/** The values compose.yaml's comments and services use. */
export const COMPOSE_VALUES = { DIR: "/tmp", SESSION_AUTH: "127.0.0.1:5000", APP: "127.0.0.1:8080", APP_PORT: "8000", AUTH_PORT: "9000", LOGIN: "http://auth.example.test:9000/" };

const ANALYZE = Bun.which("systemd-analyze");

test.skipIf(ANALYZE === null)("examples/session-auth.service passes systemd-analyze verify (its binary path pointed at a real file)", () => {
  const dir = tempDir();
  const binary = join(dir, "session-auth");
  writeFileSync(binary, "#!/bin/sh\n", { mode: 0o755 });
  const unit = readFileSync(join(ROOT, "examples", "session-auth.service"), "utf8");
  expect(unit).toContain("ExecStart=/usr/local/bin/session-auth serve");
  writeFileSync(join(dir, "session-auth.service"), unit.replaceAll("/usr/local/bin/session-auth", binary));
  const run = Bun.spawnSync([ANALYZE!, "verify", join(dir, "session-auth.service")], { stdout: "pipe", stderr: "pipe" });
  expect({ exitCode: run.exitCode, output: `${run.stdout}${run.stderr}` }).toEqual({ exitCode: 0, output: "" });
});

test("the unit's and the compose file's settings are ones the server reads", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const unit = readFileSync(join(ROOT, "examples", "session-auth.service"), "utf8");
  const compose = readFileSync(join(ROOT, "examples", "compose", "compose.yaml"), "utf8");
  const fromUnit = unit.split("\n").filter((line) => line.startsWith("Environment=")).flatMap((line) => line.slice("Environment=".length).split(" ").map((pair) => pair.split("=")[0]!));
  const names = [...fromUnit, ...[...compose.matchAll(/^ {6}([A-Z][A-Z_]+):/gm)].map((m) => m[1]!)];
  expect(names.length).toBeGreaterThan(8);
  expect(names.filter((name) => !readme.includes(`| \`${name}\` |`))).toEqual([]);
});

test("examples/compose/nginx.conf is examples/nginx.conf filled in for compose.yaml, and nginx accepts it", () => {
  const filled = fillExample("nginx.conf", COMPOSE_VALUES);
  expect(readFileSync(join(ROOT, "examples", "compose", "nginx.conf"), "utf8")).toBe(filled);
  if (NGINX === undefined) return;
  const dir = tempDir();
  writeFileSync(join(dir, "nginx.conf"), filled.replaceAll("/tmp/", `${dir}/`));
  const run = Bun.spawnSync([NGINX, "-t", "-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], { stdout: "pipe", stderr: "pipe" });
  expect([run.exitCode, run.stderr.toString()]).toEqual([0, expect.stringContaining("test is successful")]);
});
