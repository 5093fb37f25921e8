/** scripts/dev-services.sh: free ports at run time, and the logs when a service does not start. */
import { expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/lib/spawn-server.ts";
import { pgBin, redisServer } from "../fixtures/backends.ts";
import { tempDir } from "../helpers.ts";

const SCRIPT = join(ROOT, "scripts", "dev-services.sh");
/** A folder for the services' own; its parent must let the postgres user through. */
function servicesDir(): string {
  const parent = tempDir();
  chmodSync(parent, 0o755);
  return join(parent, "services");
}

const services = (action: string, env: Record<string, string>, cwd?: string) =>
  Bun.spawnSync(["bash", SCRIPT, action], { env: { PATH: process.env.PATH ?? "", ...env }, cwd, stdout: "pipe", stderr: "pipe" });

test.skipIf(!pgBin || !redisServer)("up starts on free ports even when the old fixed ones are taken, and down stops both", () => {
  const taken = [55432, 56379].map((port) => {
    try {
      return Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    } catch {
      return null; // already taken by something else: all the better
    }
  });
  const env = { SESSION_AUTH_SERVICES_DIR: servicesDir() };
  try {
    const up = services("up", env);
    expect([up.exitCode, up.stderr.toString()]).toEqual([0, ""]);
    const urls = up.stdout.toString();
    const pg = Number(/127\.0\.0\.1:(\d+)\/session_auth/.exec(urls)![1]);
    const redis = Number(/redis:\/\/127\.0\.0\.1:(\d+)/.exec(urls)![1]);
    expect([pg, redis]).not.toContain(55432);
    expect([pg, redis]).not.toContain(56379);
    expect(Bun.spawnSync(["redis-cli", "-p", String(redis), "ping"]).stdout.toString()).toContain("PONG");
  } finally {
    expect(services("down", env).exitCode).toBe(0);
    for (const listener of taken) listener?.stop(true);
  }
}, 60_000);

test.skipIf(!pgBin || !redisServer)("a service that cannot start: up fails and prints its log", () => {
  const blocker = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const env = { SESSION_AUTH_SERVICES_DIR: servicesDir(), PG_PORT: String(blocker.port) };
  try {
    const up = services("up", env);
    expect(up.exitCode).not.toBe(0);
    const stderr = up.stderr.toString();
    expect(stderr).toContain(`PostgreSQL did not start on 127.0.0.1:${blocker.port}`);
    expect(stderr).toMatch(/--- .*pg\.log ---/);
    expect(stderr).toMatch(/could not bind|Address already in use/i);
  } finally {
    services("down", env);
    blocker.stop(true);
  }
}, 60_000);

// A clone in a folder of mode 0700 (as mktemp -d makes): the postgres user cannot enter it.
test.skipIf(!pgBin || !redisServer)("up and down work when run from a folder the postgres user cannot enter", () => {
  const closed = tempDir();
  chmodSync(closed, 0o700);
  const env = { SESSION_AUTH_SERVICES_DIR: servicesDir() };
  try {
    const up = services("up", env, closed);
    expect([up.exitCode, up.stderr.toString()]).toEqual([0, ""]);
    const pg = Number(/127\.0\.0\.1:(\d+)\/session_auth/.exec(up.stdout.toString())![1]);
    expect(Bun.spawnSync([`${pgBin}/pg_isready`, "-h", "127.0.0.1", "-p", String(pg)]).exitCode).toBe(0);
  } finally {
    const down = services("down", env, closed);
    expect([down.exitCode, down.stderr.toString()]).toEqual([0, ""]);
  }
}, 60_000);

test.skipIf(!pgBin || !redisServer)("a services folder the postgres user cannot reach: PostgreSQL runs from a folder of its own, which down removes", () => {
  const closed = tempDir();
  chmodSync(closed, 0o700);
  const state = join(closed, "services");
  const env = { SESSION_AUTH_SERVICES_DIR: state };
  let pgDir = "";
  try {
    const up = services("up", env);
    expect([up.exitCode, up.stderr.toString()]).toEqual([0, ""]);
    pgDir = readFileSync(join(state, "pg-dir"), "utf8").trim();
    expect(pgDir).toStartWith("/tmp/");
    expect(existsSync(join(pgDir, "pg", "PG_VERSION"))).toBe(true);
  } finally {
    expect(services("down", env).exitCode).toBe(0);
  }
  expect(existsSync(state)).toBe(false);
  expect(existsSync(pgDir)).toBe(false);
}, 60_000);
