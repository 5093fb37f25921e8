/** scripts/dev-services.sh: free ports at run time, and the logs when a service does not start. */
import { expect, test } from "bun:test";
import { chmodSync } from "node:fs";
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

const services = (action: string, env: Record<string, string>) =>
  Bun.spawnSync(["bash", SCRIPT, action], { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });

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
