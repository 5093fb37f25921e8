/**
 * The throttle against a flood through a real server, behind TRUST_PROXY=1 with the port
 * reachable past the proxy (so every X-Forwarded-For is the client's to write): a locked account
 * stays locked whatever else is asked, and the server's memory stays bounded.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { type ServerProcess, SOURCE_COMMAND, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { available, BACKENDS, backendEnv, basicHeader, legacyUser, on, tempDir } from "../helpers.ts";

/** Long enough to cost the most a header may (Bun answers 431 past 16 KiB of headers in all). */
const LONG = 15_000;

/** Runs `count` requests, `lanes` at a time; their statuses. */
async function flood(count: number, lanes: number, send: (i: number) => Promise<Response>): Promise<number[]> {
  const statuses: number[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        const i = next++;
        const response = await send(i);
        await response.arrayBuffer();
        statuses[i] = response.status;
      }
    }),
  );
  return statuses;
}

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});

/** Resident memory of a process, in MiB. */
function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;
}

const servers: ServerProcess[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.process.kill("SIGTERM");
    await server.process.exited;
  }
});

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer(SOURCE_COMMAND, { AUTH_TYPE: "basic_auth", TRUST_PROXY: "1", ...env });
  servers.push(server);
  return server;
}

for (const backend of BACKENDS) {
  describe.skipIf(!available(backend))(`[${backend}] a flood of forged client addresses`, () => {
    const { seedUsers } = on(backend);

    test("700 requests with distinct 15 kB addresses and no password do not unlock an account", async () => {
      const dir = tempDir();
      await seedUsers(dir, [legacyUser("bob@hbtn.io", "right")]);
      const server = await start({ ...backendEnv(backend, dir), DATA_DIR: dir, LOGIN_MAX_FAILURES_PER_ACCOUNT: "3", LOGIN_THROTTLE_WINDOW: "600" });
      const me = (password: string, forwardedFor: string) =>
        fetch(`${server.base}/api/v1/users/me`, { headers: { Authorization: basicHeader("bob@hbtn.io", password), "X-Forwarded-For": forwardedFor } }).then((response) => response.status);

      for (let i = 1; i <= 3; i++) expect(await me("wrong", `10.0.0.${i}`)).toBe(403);
      expect(await me("right", "10.0.0.4")).toBe(429);

      // A Basic header that names no account: counted against the client alone, nothing hashed.
      const noAccount = `Basic ${Buffer.from("no colon here").toString("base64")}`;
      const padding = "x".repeat(LONG);
      const statuses = await flood(700, 16, (i) => fetch(`${server.base}/api/v1/users/me`, { headers: { Authorization: noAccount, "X-Forwarded-For": `${padding}${i}` } }));
      expect(statuses.every((status) => status === 403 || status === 429)).toBe(true);

      // From addresses the flood never used, so that only the account's own count can refuse.
      expect(await me("right", "10.0.1.1")).toBe(429);
      expect(await me("wrong", "10.0.1.2")).toBe(429);
    }, 60_000);
  });
}

describe("[json] memory under a flood", () => {
  test("distinct 16 kB addresses, garbage and real ones, leave the server under 256 MB of RSS", async () => {
    const dir = tempDir();
    await on("json").seedUsers(dir, [legacyUser("bob@hbtn.io", "right")]);
    // Limits high enough that every request of the flood is counted, none refused unchecked.
    const server = await start({ DATA_DIR: dir, LOGIN_MAX_FAILURES_PER_CLIENT: "1000000" });
    const pid = server.process.pid;
    const noAccount = `Basic ${Buffer.from("no colon here").toString("base64")}`;
    const padding = "y".repeat(16_000);
    const before = rssMiB(pid);
    const statuses = await flood(6000, 16, (i) => {
      // Half garbage as the last entry; half a distinct IPv6 address behind 16 kB of forged entries.
      const forwardedFor = i % 2 === 0 ? `${padding}${i}` : `${padding}, 2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
      return fetch(`${server.base}/api/v1/users/me`, { headers: { Authorization: noAccount, "X-Forwarded-For": forwardedFor } });
    });
    expect(tally(statuses)).toEqual({ 403: 6000 });
    const after = rssMiB(pid);
    console.log(`server RSS: ${before.toFixed(0)} MiB before, ${after.toFixed(0)} MiB after 6000 requests with 16 kB X-Forwarded-For`);
    expect(after).toBeLessThan(256);
    // The server still answers, and the account is untouched.
    expect((await fetch(`${server.base}/api/v1/users/me`, { headers: { Authorization: basicHeader("bob@hbtn.io", "right") } })).status).toBe(200);
  }, 60_000);
});
